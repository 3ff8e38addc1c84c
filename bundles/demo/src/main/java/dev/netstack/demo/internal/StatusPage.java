package dev.netstack.demo.internal;

import dev.netstack.ip.wire.Ipv4Address;
import dev.netstack.runtime.Counters;
import dev.netstack.tcp.TcpConnectionInfo;
import dev.netstack.tcp.TcpLayer;
import java.lang.foreign.MemorySegment;
import java.nio.charset.StandardCharsets;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.function.Supplier;

/**
 * {@code GET /}: a plain-text page with every counter (the {@link Counters} services, summed by
 * scope over the lanes of a multi-shard stack) and every TCP connection of the serving lane, built
 * when asked (control-path cost on the shard thread: it allocates).
 */
final class StatusPage {

    private final TcpLayer tcp;
    private final Supplier<List<Counters>> counters;

    private volatile String laneNote = "";

    StatusPage(TcpLayer tcp, Supplier<List<Counters>> counters) {
        this.tcp = tcp;
        this.counters = counters;
    }

    /** The page is served by lane {@code lane} of {@code lanes}: its connections are that lane's. */
    void setLane(int lane, int lanes) {
        this.laneNote = " of lane " + lane + " (of " + lanes + "; each lane serves its own flows)";
    }

    /** The whole HTTP response: head, and the body unless {@code headOnly}. */
    MemorySegment render(boolean headOnly, boolean close) {
        byte[] body = body().getBytes(StandardCharsets.UTF_8);
        String head = "HTTP/1.1 200 OK\r\nContent-Type: text/plain; charset=utf-8\r\nContent-Length: " + body.length
                + "\r\nCache-Control: no-store\r\n" + (close ? "Connection: close\r\n" : "") + "\r\n";
        byte[] h = head.getBytes(StandardCharsets.US_ASCII);
        byte[] all = new byte[h.length + (headOnly ? 0 : body.length)];
        System.arraycopy(h, 0, all, 0, h.length);
        if (!headOnly) {
            System.arraycopy(body, 0, all, h.length, body.length);
        }
        return MemorySegment.ofArray(all);
    }

    String body() {
        StringBuilder b = new StringBuilder(4096);
        b.append("netstack demo: echo, discard, HTTP (GET / and GET /bytes/N)\n\ncounters\n");
        Map<String, Map<String, Long>> sums = new TreeMap<>();
        for (Counters c : counters.get()) {
            Map<String, Long> scope = sums.computeIfAbsent(c.scope(), k -> new LinkedHashMap<>());
            c.snapshot().forEach((name, value) -> scope.merge(name, value, Long::sum));
        }
        sums.forEach((scope, values) -> values.forEach((name, value) -> {
            if (value != 0) {
                b.append(String.format("  %-10s %-32s %d%n", scope, name, value));
            }
        }));
        b.append("\nconnections").append(laneNote).append('\n');
        b.append(String.format("  %-21s %-21s %-12s %8s %8s %8s %8s %s%n", "local", "remote", "state", "send-q",
                "recv-q", "cwnd", "srtt-us", "cc"));
        for (TcpConnectionInfo i : tcp.connections()) {
            b.append(String.format("  %-21s %-21s %-12s %8d %8d %8d %8d %s%n",
                    endpoint(i.localAddress(), i.localPort()), endpoint(i.remoteAddress(), i.remotePort()), i.state(),
                    i.sendQueueBytes(), i.receiveQueueBytes(), i.cwndBytes(), i.srttUs(),
                    i.congestionControl() == null ? "-" : i.congestionControl()));
        }
        return b.toString();
    }

    static String endpoint(int address, int port) {
        return (address == 0 ? "*" : Ipv4Address.format(address)) + ":" + (port == 0 ? "*" : Integer.toString(port));
    }
}
