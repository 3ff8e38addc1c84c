package dev.netstack.launcher.bench;

import dev.netstack.launcher.bench.BenchOptions.Env;
import java.io.IOException;
import java.io.PrintStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;

/**
 * The results of a run as one table and as JSON. A stack row carries the ratio of its figure to
 * the same cell in its kernel baseline (mem to loopback, tap to veth), and, where the same cell
 * ran in its peer environment (tap's pktgen-60 in dpdk), the ratio to that too: in the note
 * ("1.10x dpdk") and in the JSON ({@code ratioToDpdk}).
 */
final class Report {

    private final BenchOptions options;
    private final String header;
    private final List<CellResult> results = new ArrayList<>();
    private final Map<CellResult, Double> ratios = new LinkedHashMap<>();
    private final Map<CellResult, Double> peerRatios = new LinkedHashMap<>();

    Report(BenchOptions options, String header) {
        this.options = options;
        this.header = header;
    }

    void add(CellResult result) {
        results.add(result);
    }

    List<CellResult> results() {
        return results;
    }

    void computeRatios() {
        for (CellResult r : results) {
            Env env = env(r.env());
            if (env == null || r.error() != null) {
                continue;
            }
            ratio(r, env.baseline(), ratios);
            ratio(r, env.peer(), peerRatios);
        }
    }

    /** Puts {@code r}'s ratio to the same cell in {@code other} into {@code into}, if that cell has a figure. */
    private void ratio(CellResult r, Env other, Map<CellResult, Double> into) {
        if (other == null) {
            return;
        }
        for (CellResult k : results) {
            if (k.env().equals(other.option) && k.cell().equals(r.cell()) && k.error() == null && k.value() > 0) {
                into.put(r, r.value() / k.value());
            }
        }
    }

    private static Env env(String option) {
        for (Env e : Env.values()) {
            if (e.option.equals(option)) {
                return e;
            }
        }
        return null;
    }

    Double ratio(CellResult r) {
        return ratios.get(r);
    }

    /** The ratio to the same cell in the peer environment (tap's pktgen-60 to dpdk), or null. */
    Double peerRatio(CellResult r) {
        return peerRatios.get(r);
    }

    /** The note, led by the ratio to the peer environment if there is one. */
    private String note(CellResult r) {
        Double peer = peerRatios.get(r);
        Env env = env(r.env());
        if (peer == null || env == null) {
            return r.note();
        }
        String ratio = String.format(Locale.ROOT, "%.2fx %s", peer, env.peer().option);
        return r.note().isEmpty() ? ratio : ratio + "; " + r.note();
    }

    // ---- table

    private static final String ROW = "%-14s %-8s %-8s %12s %-7s %7s %8s %8s %8s %8s %9s %4s %6s %9s  %s";

    void printTable(PrintStream out) {
        out.println(header);
        out.println("Latency in µs; per op: bytes allocated, CPU µs (whole process: both ends when both run here);"
                + " ops: rr transaction, crr connection, bulk 1448-byte segment, udp datagram, pktio frame.");
        row(out, "cell", "env", "system", "figure", "unit", "stack/k", "p50", "p99", "p99.9", "p99.99",
                "alloc B/op", "GCs", "GC ms", "CPU µs/op", "note");
        for (CellResult r : results) {
            if (r.error() != null) {
                row(out, r.cell(), r.env(), r.system(), "-", r.unit(), "", "", "", "", "", "", "", "", "", oneLine(r.error()));
                continue;
            }
            double[] lat = r.latency();
            Double ratio = ratios.get(r);
            row(out, r.cell(), r.env(), r.system(), figure(r.value(), r.unit()), r.unit(),
                    ratio == null ? "" : String.format(Locale.ROOT, "%.2fx", ratio),
                    lat == null ? "" : micros(lat[0]), lat == null ? "" : micros(lat[1]), lat == null ? "" : micros(lat[2]),
                    lat == null ? "" : micros(lat[3]), Double.isNaN(r.allocBytesPerOp()) ? "?" : decimal(r.allocBytesPerOp()),
                    Long.toString(r.gcCount()), Long.toString(r.gcPauseMs()),
                    Double.isNaN(r.cpuUsPerOp()) ? "?" : decimal(r.cpuUsPerOp()), oneLine(note(r)));
        }
    }

    private static void row(PrintStream out, Object... columns) {
        out.println(String.format(Locale.ROOT, ROW, columns).stripTrailing());
    }

    private static String oneLine(String text) {
        return text.replaceAll("\\s+", " ").strip();
    }

    static String figure(double value, String unit) {
        return switch (unit) {
            case "Gbit/s", "Mpps" -> String.format(Locale.ROOT, "%.3f", value);
            default -> number(value);
        };
    }

    static String number(double value) {
        return String.format(Locale.ROOT, "%,.0f", value);
    }

    private static String micros(double us) {
        return us >= 100 ? String.format(Locale.ROOT, "%.0f", us) : String.format(Locale.ROOT, "%.1f", us);
    }

    private static String decimal(double v) {
        return v >= 100 ? String.format(Locale.ROOT, "%.0f", v) : v >= 1 ? String.format(Locale.ROOT, "%.1f", v)
                : String.format(Locale.ROOT, "%.3f", v);
    }

    // ---- JSON

    void writeJson(Path file) throws IOException {
        Path parent = file.toAbsolutePath().getParent();
        if (parent != null) {
            Files.createDirectories(parent);
        }
        Files.writeString(file, json());
    }

    String json() {
        StringBuilder b = new StringBuilder();
        b.append("{\n  \"tool\": \"netstack bench\",\n");
        b.append("  \"header\": ").append(string(header)).append(",\n");
        b.append("  \"durationSeconds\": ").append(num(options.durationSeconds())).append(",\n");
        b.append("  \"cpus\": ").append(Runtime.getRuntime().availableProcessors()).append(",\n");
        b.append("  \"java\": ").append(string(Runtime.version().toString())).append(",\n");
        b.append("  \"percentiles\": [50, 99, 99.9, 99.99],\n");
        b.append("  \"results\": [");
        for (int i = 0; i < results.size(); i++) {
            CellResult r = results.get(i);
            b.append(i == 0 ? "\n" : ",\n").append("    {");
            b.append("\"cell\": ").append(string(r.cell()));
            b.append(", \"env\": ").append(string(r.env()));
            b.append(", \"system\": ").append(string(r.system()));
            b.append(", \"value\": ").append(num(r.value()));
            b.append(", \"unit\": ").append(string(r.unit()));
            Double ratio = ratios.get(r);
            b.append(", \"ratioToKernel\": ").append(ratio == null ? "null" : num(ratio));
            Double peer = peerRatios.get(r);
            b.append(", \"ratioToDpdk\": ").append(peer == null ? "null" : num(peer));
            b.append(", \"ops\": ").append(r.ops());
            b.append(", \"op\": ").append(string(r.op()));
            b.append(", \"seconds\": ").append(num(r.seconds()));
            double[] lat = r.latency();
            if (lat == null) {
                b.append(", \"latencyUs\": null");
            } else {
                b.append(", \"latencyUs\": {\"p50\": ").append(num(lat[0])).append(", \"p99\": ").append(num(lat[1]))
                        .append(", \"p99.9\": ").append(num(lat[2])).append(", \"p99.99\": ").append(num(lat[3])).append('}');
            }
            b.append(", \"allocBytesPerOp\": ").append(num(r.allocBytesPerOp()));
            b.append(", \"gcCount\": ").append(r.gcCount());
            b.append(", \"gcPauseMs\": ").append(r.gcPauseMs());
            b.append(", \"cpuUsPerOp\": ").append(num(r.cpuUsPerOp()));
            b.append(", \"note\": ").append(string(r.note()));
            b.append(", \"error\": ").append(r.error() == null ? "null" : string(r.error()));
            b.append('}');
        }
        b.append("\n  ]\n}\n");
        return b.toString();
    }

    /** A JSON number; NaN and infinities (a figure that could not be taken) become null. */
    static String num(double v) {
        if (Double.isNaN(v) || Double.isInfinite(v)) {
            return "null";
        }
        if (v == Math.rint(v) && Math.abs(v) < 1e15) {
            return Long.toString((long) v);
        }
        return Double.toString(v); // "12.5", "1.0E-9": JSON numbers, exact
    }

    static String string(String s) {
        StringBuilder b = new StringBuilder("\"");
        for (int i = 0; i < s.length(); i++) {
            char c = s.charAt(i);
            switch (c) {
                case '"' -> b.append("\\\"");
                case '\\' -> b.append("\\\\");
                case '\n' -> b.append("\\n");
                case '\r' -> b.append("\\r");
                case '\t' -> b.append("\\t");
                default -> {
                    if (c < 0x20) {
                        b.append(String.format(Locale.ROOT, "\\u%04x", (int) c));
                    } else {
                        b.append(c);
                    }
                }
            }
        }
        return b.append('"').toString();
    }
}
