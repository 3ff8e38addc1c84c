package dev.netstack.shell.internal;

import dev.netstack.ip.wire.Ipv4Address;
import dev.netstack.tcp.TcpConnectionInfo;
import dev.netstack.tcp.TcpLayer;
import dev.netstack.tcp.TcpState;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.TreeSet;
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
 *
 * <p>With several lanes it merges every lane's {@link TcpLayer} and adds a {@code Lane} column: a
 * connection lives on one lane; a listener exists on each lane and is shown once, its queues added
 * up, with lane {@code *} when it listens on every lane (else the list of its lanes, e.g. {@code 0,2}).
 */
@Component(service = NetstatCommand.class, property = {"osgi.command.scope=netstack", "osgi.command.function=netstat"})
public final class NetstatCommand {

    final LaneServices<TcpLayer> layers = new LaneServices<>();

    /** A connection or listener and the lanes it is on ("0", "*", "0,1"). */
    record Row(String lane, TcpConnectionInfo info) {
    }

    @Reference(cardinality = ReferenceCardinality.MULTIPLE, policy = ReferencePolicy.DYNAMIC, unbind = "removeLayer")
    void addLayer(TcpLayer layer, Map<String, Object> properties) {
        layers.add(layer, properties);
    }

    void removeLayer(TcpLayer layer) {
        layers.remove(layer);
    }

    @Descriptor("list TCP connections: state, queues, cwnd, ssthresh, RTT, retransmits, congestion control")
    public String netstat(
            @Descriptor("listeners only") @Parameter(names = {"-l", "--listening"}, presentValue = "true", absentValue = "false") boolean listening,
            @Descriptor("connections and listeners") @Parameter(names = {"-a", "--all"}, presentValue = "true", absentValue = "false") boolean all) {
        List<LaneServices.Bound<TcpLayer>> bound = layers.bound();
        if (bound.isEmpty()) {
            return "TCP is not running (no TcpLayer service: start the tcp bundle)\n";
        }
        boolean listeners = all || listening;
        boolean connections = !listening || all;
        if (!layers.severalLanes()) {
            List<TcpConnectionInfo> infos = new ArrayList<>();
            for (LaneServices.Bound<TcpLayer> b : bound) {
                infos.addAll(b.service().connections());
            }
            return format(infos, listeners, connections);
        }
        TreeSet<Integer> laneSet = new TreeSet<>();
        List<Row> rows = new ArrayList<>();
        for (LaneServices.Bound<TcpLayer> b : bound) {
            laneSet.add(b.lane());
            for (TcpConnectionInfo info : b.service().connections()) {
                rows.add(new Row(Integer.toString(b.lane()), info));
            }
        }
        return format(mergeListeners(rows, laneSet.size()), listeners, connections, true);
    }

    /** One lane's (or one shard's) connections, without a lane column. */
    static String format(List<TcpConnectionInfo> infos, boolean listeners, boolean connections) {
        List<Row> rows = new ArrayList<>(infos.size());
        for (TcpConnectionInfo info : infos) {
            rows.add(new Row("0", info));
        }
        return format(rows, listeners, connections, false);
    }

    /**
     * Lanes' rows with each listener (same local address and port) folded into one row whose
     * queues are the sum of the lanes' and whose lane is {@code *} when all {@code laneCount} lanes
     * listen, else the lanes listed.
     */
    static List<Row> mergeListeners(List<Row> rows, int laneCount) {
        List<Row> merged = new ArrayList<>(rows.size());
        Map<Long, List<Row>> listeners = new LinkedHashMap<>();
        for (Row row : rows) {
            TcpConnectionInfo i = row.info();
            if (i.state() == TcpState.LISTEN) {
                listeners.computeIfAbsent(Integer.toUnsignedLong(i.localAddress()) << 16 | i.localPort(),
                        k -> new ArrayList<>()).add(row);
            } else {
                merged.add(row);
            }
        }
        for (List<Row> same : listeners.values()) {
            TreeSet<Integer> lanes = new TreeSet<>();
            int sendQueue = 0;
            int receiveQueue = 0;
            for (Row row : same) {
                lanes.add(Integer.parseInt(row.lane()));
                sendQueue += row.info().sendQueueBytes();
                receiveQueue += row.info().receiveQueueBytes();
            }
            TcpConnectionInfo first = same.getFirst().info();
            String lane = lanes.size() >= laneCount && laneCount > 1 ? "*"
                    : String.join(",", lanes.stream().map(String::valueOf).toList());
            merged.add(new Row(lane, new TcpConnectionInfo(first.localAddress(), first.localPort(), first.remoteAddress(),
                    first.remotePort(), first.state(), sendQueue, receiveQueue, first.cwndBytes(), first.ssthreshBytes(),
                    first.srttUs(), first.rttvarUs(), first.rtoMs(), first.retransmits(), first.mssBytes(),
                    first.congestionControl())));
        }
        return merged;
    }

    static String format(List<Row> all, boolean listeners, boolean connections, boolean laneColumn) {
        List<Row> rows = new ArrayList<>();
        for (Row row : all) {
            boolean listener = row.info().state() == TcpState.LISTEN;
            if (listener ? listeners : connections) {
                rows.add(row);
            }
        }
        rows.sort(Comparator.comparing((Row r) -> r.info().state() != TcpState.LISTEN)
                .thenComparingInt(r -> r.info().localPort())
                .thenComparingLong(r -> Integer.toUnsignedLong(r.info().remoteAddress()))
                .thenComparingInt(r -> r.info().remotePort())
                .thenComparing(Row::lane));
        StringBuilder out = new StringBuilder();
        out.append(String.format("%-5s ", "Proto"));
        if (laneColumn) {
            out.append(String.format("%-4s ", "Lane"));
        }
        out.append(String.format("%-21s %-21s %-12s %7s %7s %8s %8s %15s %6s %7s %s%n", "Local", "Remote",
                "State", "Send-Q", "Recv-Q", "cwnd", "ssthresh", "srtt/rttvar ms", "rto", "retrans", "cc"));
        for (Row row : rows) {
            TcpConnectionInfo i = row.info();
            boolean listener = i.state() == TcpState.LISTEN;
            out.append(String.format("%-5s ", "tcp"));
            if (laneColumn) {
                out.append(String.format("%-4s ", row.lane()));
            }
            out.append(String.format("%-21s %-21s %-12s %7d %7d %8s %8s %15s %6s %7s %s%n",
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
