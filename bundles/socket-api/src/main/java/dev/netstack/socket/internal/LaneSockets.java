package dev.netstack.socket.internal;

import dev.netstack.ip.NetworkLayer;
import dev.netstack.runtime.Shard;
import dev.netstack.socket.DatagramSocket;
import dev.netstack.socket.SocketSelector;
import dev.netstack.socket.Sockets;
import dev.netstack.socket.StreamSocket;
import dev.netstack.tcp.TcpLayer;
import dev.netstack.udp.UdpLayer;
import java.util.List;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * The sockets of a stack of several lanes: one {@link StackSockets} per lane (its shard, its TCP,
 * its socket pool), and the rules that say where a socket lives.
 *
 * <pre>
 *   listen ──► a TcpLayer listener on every lane, same port ──► one accept queue per lane,
 *              accept() polls them in turn; an accepted socket lives on its connection's lane
 *   connect ─► bound to a port: the lane whose queue receives the flow (NetworkLayer.receivesFlow)
 *              unbound:          the next lane, round robin (the lane then picks an ephemeral port
 *                                whose segments come back to it)
 *   bind ────► the port reserved on every lane (no socket of any lane takes it)
 *   datagram ► lane 0, where UDP arrives
 * </pre>
 *
 * <p>A stream socket opens on lane 0 and moves to its lane at connect, before anything of it
 * reaches a shard, so options set before (buffer sizes, no-delay, zero-copy receive, congestion
 * control) apply on the lane it ends up on. {@link #shard()}, {@link #tcp()} and {@link #udp()}
 * are lane 0's; {@link #lanes()} gives each lane's own for the callback path.
 *
 * <p>Build it with {@link StackSockets#lanes(List)}, which returns a plain {@link StackSockets}
 * for one lane.
 */
public final class LaneSockets implements Sockets {

    private final StackSockets[] lanes;
    private final NetworkLayer[] networks;
    private final List<Sockets> view;
    private final AtomicInteger nextLane = new AtomicInteger();

    LaneSockets(List<StackSockets.Lane> lanes, int ringBytes, int poolBuffers) {
        if (lanes.size() < 2) {
            throw new IllegalArgumentException("a stack of lanes has at least two; got " + lanes.size());
        }
        this.lanes = new StackSockets[lanes.size()];
        this.networks = new NetworkLayer[lanes.size()];
        for (int i = 0; i < lanes.size(); i++) {
            StackSockets.Lane lane = lanes.get(i);
            this.lanes[i] = new StackSockets(lane.shard(), lane.tcp(), lane.udp(), ringBytes, poolBuffers);
            this.networks[i] = lane.network();
        }
        this.view = List.of(this.lanes);
    }

    @Override
    public StreamSocket openStream() {
        lanes[0].tcp();
        return new TcpStreamSocket(this);
    }

    @Override
    public DatagramSocket openDatagram() {
        return lanes[0].openDatagram();
    }

    @Override
    public SocketSelector openSelector() {
        return new StackSelector();
    }

    @Override
    public Shard shard() {
        return lanes[0].shard();
    }

    @Override
    public TcpLayer tcp() {
        return lanes[0].tcp();
    }

    @Override
    public UdpLayer udp() {
        return lanes[0].udp();
    }

    /** Every lane's sockets, lane 0 first: for shard-thread code on each lane. */
    @Override
    public List<Sockets> lanes() {
        return view;
    }

    int laneCount() {
        return lanes.length;
    }

    StackSockets lane(int index) {
        return lanes[index];
    }

    /** Buffers in use over the lanes' socket pools (for leak checks, at rest). */
    public int poolInUse() {
        int sum = 0;
        for (StackSockets lane : lanes) {
            sum += lane.poolInUse();
        }
        return sum;
    }

    /**
     * Application side: the lane a stream socket connects from. A socket bound to a port goes to
     * the lane whose queue the flow's segments arrive at (there is one; if none claims it, lane 0,
     * whose TCP then refuses the connect); an unbound one to the next lane in turn.
     */
    StackSockets laneFor(int localAddress, int localPort, int remoteAddress, int remotePort) {
        if (localPort == 0) {
            return lanes[Math.floorMod(nextLane.getAndIncrement(), lanes.length)];
        }
        int local = localAddress;
        if (local == 0) {
            NetworkLayer first = networks[0];
            local = StackSocket.call(lanes[0].shard(), () -> first.sourceAddressFor(remoteAddress));
        }
        for (int i = 0; i < lanes.length; i++) {
            if (networks[i].receivesFlow(remoteAddress, local, remotePort, localPort)) {
                return lanes[i];
            }
        }
        return lanes[0];
    }
}
