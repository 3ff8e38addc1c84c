package dev.netstack.launcher;

import dev.netstack.launcher.bench.BenchOptions;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

/** {@code ./netstack bench}: the command line of the end-to-end benchmark ({@link dev.netstack.launcher.bench.Bench}). */
record BenchCommand(BenchOptions options) implements CommandLine.Invocation {

    static CommandLine.Invocation parse(List<String> args) throws UsageException {
        if (args.contains("--help") || args.contains("-h")) {
            return new CommandLine.Help("bench", false);
        }
        try {
            return new BenchCommand(BenchOptions.parse(args));
        } catch (IllegalArgumentException e) {
            throw new UsageException(e.getMessage());
        }
    }

    static Map<String, String> withUsage(Map<String, String> usage) {
        Map<String, String> all = new HashMap<>(usage);
        all.put("bench", BenchOptions.USAGE);
        return Map.copyOf(all);
    }
}
