package dev.netstack.shell.internal;

import dev.netstack.ip.wire.Ipv4Address;
import dev.netstack.tcp.TcpConnectionInfo;
import dev.netstack.tcp.TcpLayer;
import dev.netstack.tcp.TcpState;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import org.apache.felix.service.command.Descriptor;
import org.apache.felix.service.command.Parameter;
import org.osgi.service.component.annotations.Component;
import org.osgi.service.component.annotations.Reference;
import org.osgi.service.component.annotations.ReferenceCardinality;
import org.osgi.service.component.annotations.ReferencePolicy;

/**
 * {@code netstack:netstat [-l]}: every TCP connection (listeners only with {@code -l}, or both with
 * {@code -a}) with its addresses, state, queues and congestion state, from
 * {@link TcpLayer#connections()} (a snapshot taken on the shard).
 *
 * <pre>
 * Proto Local               Remote              State        Send-Q Recv-Q    cwnd ssthresh srtt/rttvar ms   rto retrans cc
 * tcp   198.18.0.2:80       198.18.0.1:41234    ESTABLISHED       0      0   14480   max      0.21/0.10    200       0 cubic
 * </pre>
 */
@Component(service = NetstatCommand.class, property = {"osgi.command.scope=netstack", "osgi.command.function=netstat"})
public final class NetstatCommand {

    @Reference(cardinality = ReferenceCardinality.MULTIPLE, policy = ReferencePolicy.DYNAMIC)
    volatile List<TcpLayer> layers = List.of();

    @Descriptor("list TCP connections: state, queues, cwnd, ssthresh, RTT, retransmits, congestion control")
    public String netstat(
            @Descriptor("listeners only") @Parameter(names = {"-l", "--listening"}, presentValue = "true", absentValue = "false") boolean listening,
            @Descriptor("connections and listeners") @Parameter(names = {"-a", "--all"}, presentValue = "true", absentValue = "false") boolean all) {
        if (layers.isEmpty()) {
            return "TCP is not running (no TcpLayer service: start the tcp bundle)\n";
        }
        List<TcpConnectionInfo> infos = new ArrayList<>();
        for (TcpLayer layer : layers) {
            infos.addAll(layer.connections());
        }
        return format(infos, all || listening, !listening || all);
    }

    static String format(List<TcpConnectionInfo> infos, boolean listeners, boolean connections) {
        List<TcpConnectionInfo> rows = new ArrayList<>();
        for (TcpConnectionInfo i : infos) {
            boolean listener = i.state() == TcpState.LISTEN;
            if (listener ? listeners : connections) {
                rows.add(i);
            }
        }
        rows.sort(Comparator.comparing((TcpConnectionInfo i) -> i.state() != TcpState.LISTEN)
                .thenComparingInt(TcpConnectionInfo::localPort)
                .thenComparingLong(i -> Integer.toUnsignedLong(i.remoteAddress()))
                .thenComparingInt(TcpConnectionInfo::remotePort));
        StringBuilder out = new StringBuilder();
        out.append(String.format("%-5s %-21s %-21s %-12s %7s %7s %8s %8s %15s %6s %7s %s%n", "Proto", "Local", "Remote",
                "State", "Send-Q", "Recv-Q", "cwnd", "ssthresh", "srtt/rttvar ms", "rto", "retrans", "cc"));
        for (TcpConnectionInfo i : rows) {
            boolean listener = i.state() == TcpState.LISTEN;
            out.append(String.format("%-5s %-21s %-21s %-12s %7d %7d %8s %8s %15s %6s %7s %s%n", "tcp",
                    endpoint(i.localAddress(), i.localPort()), endpoint(i.remoteAddress(), i.remotePort()), i.state(),
                    i.sendQueueBytes(), i.receiveQueueBytes(),
                    listener ? "-" : Long.toString(i.cwndBytes()),
                    listener ? "-" : ssthresh(i.ssthreshBytes()),
                    listener ? "-" : String.format("%.2f/%.2f", i.srttUs() / 1000.0, i.rttvarUs() / 1000.0),
                    listener ? "-" : Long.toString(i.rtoMs()),
                    listener ? "-" : Long.toString(i.retransmits()),
                    i.congestionControl() == null ? "-" : i.congestionControl()));
        }
        if (rows.isEmpty()) {
            out.append(listeners && !connections ? "(no listeners)\n" : "(no connections)\n");
        }
        return out.toString();
    }

    /** Slow-start thresholds start "infinite" (RFC 5681 §3.1): shown as {@code max}. */
    private static String ssthresh(long bytes) {
        return bytes >= Integer.MAX_VALUE ? "max" : Long.toString(bytes);
    }

    static String endpoint(int address, int port) {
        return (address == 0 ? "*" : Ipv4Address.format(address)) + ":" + (port == 0 ? "*" : Integer.toString(port));
    }
}
