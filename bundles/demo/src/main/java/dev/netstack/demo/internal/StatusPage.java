package dev.netstack.demo.internal;

import dev.netstack.ip.wire.Ipv4Address;
import dev.netstack.runtime.Counters;
import dev.netstack.tcp.TcpConnectionInfo;
import dev.netstack.tcp.TcpLayer;
import java.lang.foreign.MemorySegment;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Map;
import java.util.function.Supplier;

/**
 * {@code GET /}: a plain-text page with every counter (each {@link Counters} service by scope) and
 * every TCP connection, built when asked (control-path cost on the shard thread: it allocates).
 */
final class StatusPage {

    private final TcpLayer tcp;
    private final Supplier<List<Counters>> counters;

    StatusPage(TcpLayer tcp, Supplier<List<Counters>> counters) {
        this.tcp = tcp;
        this.counters = counters;
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
        List<Counters> list = new ArrayList<>(counters.get());
        list.sort(Comparator.comparing(Counters::scope));
        for (Counters c : list) {
            for (Map.Entry<String, Long> e : c.snapshot().entrySet()) {
                if (e.getValue() != 0) {
                    b.append(String.format("  %-10s %-32s %d%n", c.scope(), e.getKey(), e.getValue()));
                }
            }
        }
        b.append("\nconnections\n");
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
