package dev.netstack.socket.internal;

import dev.netstack.nic.PacketBuffer;
import dev.netstack.nic.PacketMemory;
import dev.netstack.nic.PacketPool;
import dev.netstack.runtime.Shard;
import dev.netstack.socket.DatagramSocket;
import dev.netstack.socket.SocketError;
import dev.netstack.socket.SocketException;
import dev.netstack.socket.SocketSelector;
import dev.netstack.socket.Sockets;
import dev.netstack.socket.StreamSocket;
import dev.netstack.tcp.TcpLayer;
import dev.netstack.udp.UdpLayer;
import jakarta.inject.Inject;
import java.lang.foreign.Arena;
import dev.netstack.ip.NetworkLayer;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.concurrent.atomic.AtomicBoolean;
import org.jctools.queues.MpscArrayQueue;
import org.osgi.service.component.annotations.Activate;
import org.osgi.service.component.annotations.Component;
import org.osgi.service.component.annotations.Reference;
import org.osgi.service.component.annotations.ReferenceCardinality;
import org.osgi.service.component.annotations.ReferencePolicy;
import org.osgi.service.metatype.annotations.Designate;

/**
 * The {@link Sockets} service of shard 0, bound dynamically to {@link TcpLayer} and
 * {@link UdpLayer}: while one is absent, opening or using sockets of its kind fails with
 * PROTOCOL_STOPPED (sockets already open learn it from the protocol closing them).
 *
 * <p><b>Lanes under OSGi.</b> With several shards the stack registers its lane services once per
 * lane, each with Integer properties {@code lane} (0..n-1) and {@code lanes} (n); with one shard
 * they carry neither (lane 0 of 1). The component binds every {@link TcpLayer}, {@link UdpLayer},
 * {@link NetworkLayer} and {@link Shard} (lane i runs on the shard whose {@code shard.id} is i).
 * With one lane it serves sockets itself, as it always has. With n lanes, once every lane's shard
 * and network layer are bound it serves them through a {@link LaneSockets} over those lanes:
 * opening a stream socket needs every lane's TCP (else PROTOCOL_STOPPED), datagrams use lane 0's
 * UDP. A lane's TCP or UDP that goes away and comes back is swapped in place on its lane, as the
 * one-lane service does (its sockets learn it from the protocol closing them); a lane whose shard
 * or network layer changes gets a new {@code LaneSockets}, while sockets of the old one keep their
 * lanes until those lanes' protocols go away.
 *
 * <p>Owns the socket layer's packet pool (zero-copy sends and stream receives). The pool is
 * confined to the shard thread; buffers the application gives back come through an MPSC queue
 * drained by one shard command, scheduled at most once at a time.
 *
 * <p>Embedded use: {@code new StackSockets(shard, tcp, udp)} (Guice builds it with that
 * constructor too). For a stack of several lanes (one per shard), {@link #lanes(List)} builds the
 * sockets of them all ({@link LaneSockets}).
 */
@Component(service = Sockets.class, configurationPid = "netstack.socket")
@Designate(ocd = SocketsConfig.class)
public final class StackSockets implements Sockets {

    private final Shard shard;
    private final int ringBytes;
    private final PacketPool pool;
    private final MpscArrayQueue<PacketBuffer> returns;
    private final AtomicBoolean returnsScheduled = new AtomicBoolean();
    private final Runnable drainReturns = this::drainReturns;
    private final ArrayList<StackSocket> waitingForBuffers = new ArrayList<>(); // shard only
    private final java.lang.foreign.MemorySegment scratch = Arena.ofAuto().allocate(UdpLayer.MAX_PAYLOAD);
    private volatile TcpLayer tcp;
    private volatile UdpLayer udp;
    private final int poolBuffers;

    /** Service property of lane-scoped services: the lane, 0..n-1 (absent with one shard). */
    public static final String LANE_PROPERTY = dev.netstack.runtime.Lane.LANE_PROPERTY;
    /** Service property of lane-scoped services: how many lanes the stack runs (absent with one shard). */
    public static final String LANES_PROPERTY = dev.netstack.runtime.Lane.LANES_PROPERTY;

    // DS lane bookkeeping: changed under bindLock on control threads, published through the volatiles
    private final Object bindLock = new Object();
    private final List<Bound<TcpLayer>> boundTcp = new ArrayList<>();
    private final List<Bound<UdpLayer>> boundUdp = new ArrayList<>();
    private final List<Bound<NetworkLayer>> boundNetworks = new ArrayList<>();
    private final List<Bound<Shard>> boundShards = new ArrayList<>();
    private final List<Built> retired = new ArrayList<>();
    private long bindOrder;
    /** Lanes the stack runs, from the {@code lanes} property of the lane service bound last. */
    private volatile int expectedLanes = 1;
    /** With several lanes: the sockets of them all, once every lane's shard and network layer are bound. */
    private volatile Built built;

    /** A bound service, its lane (for a Shard, its id), lane count, and when it was bound. */
    private record Bound<T>(T service, int lane, int lanes, long order) {
    }

    /** The sockets of a stack of lanes and the shards and network layers they were built over. */
    private record Built(LaneSockets sockets, Shard[] shards, NetworkLayer[] networks) {
    }

    /**
     * One lane of a stack: its shard, its TCP and UDP (UDP only matters on lane 0, where datagrams
     * arrive; may be null elsewhere), and its network layer, which says what flows the lane
     * receives ({@link NetworkLayer#receivesFlow}).
     */
    public record Lane(Shard shard, TcpLayer tcp, UdpLayer udp, NetworkLayer network) {
        public Lane {
            java.util.Objects.requireNonNull(shard, "shard");
            java.util.Objects.requireNonNull(network, "network");
        }
    }

    /**
     * The sockets of a stack of {@code lanes} (lane 0 first), with the default ring and pool sizes:
     * a plain {@code StackSockets} for one lane, a {@link LaneSockets} for several.
     */
    public static Sockets lanes(List<Lane> lanes) {
        return lanes(lanes, 64 * 1024, 4096);
    }

    /** As {@link #lanes(List)}, with the ring size and each lane's pool size. */
    public static Sockets lanes(List<Lane> lanes, int ringBytes, int poolBuffers) {
        if (lanes.isEmpty()) {
            throw new IllegalArgumentException("no lanes");
        }
        if (lanes.size() == 1) {
            Lane lane = lanes.getFirst();
            return new StackSockets(lane.shard(), lane.tcp(), lane.udp(), ringBytes, poolBuffers);
        }
        return new LaneSockets(lanes, ringBytes, poolBuffers);
    }

    @Activate
    public StackSockets(SocketsConfig config, @Reference(target = "(shard.id=0)") Shard shard) {
        this(shard, config.ring_bytes(), config.pool_buffers());
    }

    @Inject
    public StackSockets(Shard shard, TcpLayer tcp, UdpLayer udp) {
        this(shard, 64 * 1024, 4096);
        this.tcp = tcp;
        this.udp = udp;
    }

    /** For embedded use and tests: explicit ring size and pool size. */
    public StackSockets(Shard shard, TcpLayer tcp, UdpLayer udp, int ringBytes, int poolBuffers) {
        this(shard, ringBytes, poolBuffers);
        this.tcp = tcp;
        this.udp = udp;
    }

    private StackSockets(Shard shard, int ringBytes, int poolBuffers) {
        if (ringBytes < 1024 || poolBuffers < 16) {
            throw new IllegalArgumentException("netstack.socket: ring.bytes must be at least 1024 and pool.buffers "
                    + "at least 16");
        }
        this.shard = shard;
        this.ringBytes = ringBytes;
        this.poolBuffers = poolBuffers;
        int size = PacketPool.DEFAULT_BUFFER_SIZE;
        this.pool = PacketPool.create("sockets", PacketMemory.offHeap(Arena.ofAuto(), (long) poolBuffers * size),
                poolBuffers, size, PacketPool.DEFAULT_HEADROOM);
        this.returns = new MpscArrayQueue<>(Math.max(poolBuffers, 1024) * 2);
    }

    @Reference(cardinality = ReferenceCardinality.MULTIPLE, policy = ReferencePolicy.DYNAMIC, unbind = "unsetTcp")
    void setTcp(TcpLayer layer, Map<String, ?> properties) {
        synchronized (bindLock) {
            bind(boundTcp, layer, properties);
        }
    }

    void unsetTcp(TcpLayer layer) {
        synchronized (bindLock) {
            unbind(boundTcp, layer);
        }
    }

    @Reference(cardinality = ReferenceCardinality.MULTIPLE, policy = ReferencePolicy.DYNAMIC, unbind = "unsetUdp")
    void setUdp(UdpLayer layer, Map<String, ?> properties) {
        synchronized (bindLock) {
            bind(boundUdp, layer, properties);
        }
    }

    void unsetUdp(UdpLayer layer) {
        synchronized (bindLock) {
            unbind(boundUdp, layer);
        }
    }

    @Reference(name = "networks", cardinality = ReferenceCardinality.MULTIPLE, policy = ReferencePolicy.DYNAMIC,
            unbind = "unsetNetwork")
    void setNetwork(NetworkLayer layer, Map<String, ?> properties) {
        synchronized (bindLock) {
            bind(boundNetworks, layer, properties);
        }
    }

    void unsetNetwork(NetworkLayer layer) {
        synchronized (bindLock) {
            unbind(boundNetworks, layer);
        }
    }

    @Reference(name = "shards", cardinality = ReferenceCardinality.MULTIPLE, policy = ReferencePolicy.DYNAMIC,
            unbind = "unsetShard")
    void setShard(Shard laneShard, Map<String, ?> properties) {
        synchronized (bindLock) {
            int id = dev.netstack.runtime.Lane.intProperty(properties, Shard.ID_PROPERTY, -1);
            boundShards.removeIf(b -> b.service() == laneShard);
            boundShards.add(new Bound<>(laneShard, id < 0 ? laneShard.id() : id, 1, bindOrder++));
            recompute();
        }
    }

    void unsetShard(Shard laneShard) {
        synchronized (bindLock) {
            unbind(boundShards, laneShard);
        }
    }

    private <T> void bind(List<Bound<T>> bound, T service, Map<String, ?> properties) {
        int lanes = dev.netstack.runtime.Lane.countOf(properties);
        bound.removeIf(b -> b.service() == service);
        bound.add(new Bound<>(service, dev.netstack.runtime.Lane.of(properties), lanes, bindOrder++));
        expectedLanes = lanes;
        recompute();
    }

    private <T> void unbind(List<Bound<T>> bound, T service) {
        bound.removeIf(b -> b.service() == service);
        recompute();
    }


    /**
     * For each lane of {@code lanes}: the service of that lane bound last, or null; only services of
     * a stack of {@code lanes} unless {@code anyCount} (shards, which carry no count).
     */
    private static <T> T[] byLane(List<Bound<T>> bound, int lanes, boolean anyCount, T[] into) {
        long[] order = new long[lanes];
        for (Bound<T> b : bound) {
            if (b.lane() >= 0 && b.lane() < lanes && (anyCount || b.lanes() == lanes)
                    && (into[b.lane()] == null || b.order() > order[b.lane()])) {
                into[b.lane()] = b.service();
                order[b.lane()] = b.order();
            }
        }
        return into;
    }

    /** Under bindLock: brings the served sockets in line with what is bound. */
    private void recompute() {
        int n = expectedLanes;
        TcpLayer[] tcps = byLane(boundTcp, n, false, new TcpLayer[n]);
        UdpLayer[] udps = byLane(boundUdp, n, false, new UdpLayer[n]);
        if (n == 1) {
            tcp = tcps[0];
            udp = udps[0];
            retire();
        } else {
            tcp = null;
            udp = null;
            Shard[] shards = byLane(boundShards, n, true, new Shard[n]);
            NetworkLayer[] networks = byLane(boundNetworks, n, false, new NetworkLayer[n]);
            boolean complete = Arrays.stream(shards).allMatch(java.util.Objects::nonNull)
                    && Arrays.stream(networks).allMatch(java.util.Objects::nonNull);
            Built current = built;
            if (!complete) {
                retire();
            } else if (current != null && sameInstances(current.shards(), shards)
                    && sameInstances(current.networks(), networks)) {
                for (int i = 0; i < n; i++) {
                    StackSockets lane = current.sockets().lane(i);
                    lane.tcp = tcps[i];
                    lane.udp = udps[i];
                }
            } else {
                retire();
                List<Lane> lanes = new ArrayList<>(n);
                for (int i = 0; i < n; i++) {
                    lanes.add(new Lane(shards[i], tcps[i], udps[i], networks[i]));
                }
                built = new Built(new LaneSockets(lanes, ringBytes, poolBuffers), shards, networks);
            }
        }
        sweepRetired();
    }

    private static boolean sameInstances(Object[] a, Object[] b) {
        if (a.length != b.length) {
            return false;
        }
        for (int i = 0; i < a.length; i++) {
            if (a[i] != b[i]) {
                return false;
            }
        }
        return true;
    }

    /** Under bindLock: stops serving new sockets from the current lanes; their sockets carry on. */
    private void retire() {
        Built current = built;
        if (current != null) {
            built = null;
            retired.add(current);
        }
    }

    /**
     * Under bindLock: in lanes no longer served, forgets TCP and UDP layers that went away (their
     * sockets then fail with PROTOCOL_STOPPED, as on a lane still served), and drops such lanes once
     * nothing of them is bound.
     */
    private void sweepRetired() {
        for (int r = retired.size() - 1; r >= 0; r--) {
            LaneSockets old = retired.get(r).sockets();
            boolean empty = true;
            for (int i = 0; i < old.laneCount(); i++) {
                StackSockets lane = old.lane(i);
                if (lane.tcp != null && boundTcp.stream().noneMatch(b -> b.service() == lane.tcp)) {
                    lane.tcp = null;
                }
                if (lane.udp != null && boundUdp.stream().noneMatch(b -> b.service() == lane.udp)) {
                    lane.udp = null;
                }
                empty &= lane.tcp == null && lane.udp == null;
            }
            if (empty) {
                retired.remove(r);
            }
        }
    }

    /** The lanes serving sockets; null with one lane; PROTOCOL_STOPPED while lanes are missing. */
    private LaneSockets servingLanes() {
        Built current = built;
        if (current != null) {
            return current.sockets();
        }
        int n = expectedLanes;
        if (n > 1) {
            throw new SocketException(SocketError.PROTOCOL_STOPPED, "the stack's " + n
                    + " lanes are not all running (a lane's shard or network layer is missing)");
        }
        return null;
    }

    @Override
    public StreamSocket openStream() {
        LaneSockets lanes = servingLanes();
        if (lanes != null) {
            for (int i = 0; i < lanes.laneCount(); i++) {
                if (lanes.lane(i).tcp == null) {
                    throw new SocketException(SocketError.PROTOCOL_STOPPED, "TCP of lane " + i + " of "
                            + lanes.laneCount() + " is not running");
                }
            }
            return lanes.openStream();
        }
        tcp();
        return new TcpStreamSocket(this);
    }

    @Override
    public DatagramSocket openDatagram() {
        LaneSockets lanes = servingLanes();
        if (lanes != null) {
            return lanes.openDatagram();
        }
        udp();
        return new UdpDatagramSocket(this);
    }

    @Override
    public List<Sockets> lanes() {
        Built current = built;
        return current != null ? current.sockets().lanes() : List.of(this);
    }

    @Override
    public SocketSelector openSelector() {
        return new StackSelector();
    }

    @Override
    public Shard shard() {
        return shard;
    }

    @Override
    public TcpLayer tcp() {
        Built current = built;
        TcpLayer layer = current != null ? current.sockets().lane(0).tcp : expectedLanes > 1 ? null : tcp;
        if (layer == null) {
            throw new SocketException(SocketError.PROTOCOL_STOPPED, "no TCP module is running");
        }
        return layer;
    }

    @Override
    public UdpLayer udp() {
        Built current = built;
        UdpLayer layer = current != null ? current.sockets().lane(0).udp : expectedLanes > 1 ? null : udp;
        if (layer == null) {
            throw new SocketException(SocketError.PROTOCOL_STOPPED, "no UDP module is running");
        }
        return layer;
    }

    /** A datagram-sized scratch segment. Shard thread only. */
    java.lang.foreign.MemorySegment scratch() {
        return scratch;
    }

    int ringBytes() {
        return ringBytes;
    }

    /** The socket layer's pool. Shard thread only. */
    PacketPool pool() {
        return pool;
    }

    /**
     * Buffers of the pool in use (shard thread, or after the shard stopped): for leak checks. With
     * lanes served, the lanes' pools too.
     */
    public int poolInUse() {
        Built current = built;
        return pool.inUse() + (current == null ? 0 : current.sockets().poolInUse());
    }

    /** Any thread: releases {@code buffer} on the shard thread. Allocation-free. */
    void returnBuffer(PacketBuffer buffer) {
        if (shard.inShard()) {
            buffer.release();
            wakeBufferWaiters();
            return;
        }
        while (!returns.offer(buffer)) {
            Thread.onSpinWait();
        }
        if (returnsScheduled.compareAndSet(false, true)) {
            while (!shard.execute(drainReturns)) {
                java.util.concurrent.locks.LockSupport.parkNanos(20_000);
            }
        }
    }

    private void drainReturns() {
        returnsScheduled.set(false);
        PacketBuffer b;
        while ((b = returns.poll()) != null) {
            b.release();
        }
        wakeBufferWaiters();
    }

    /** Shard thread: {@code socket} ran out of pool buffers; pump it when some come back. */
    void waitForBuffers(StackSocket socket) {
        if (!waitingForBuffers.contains(socket)) {
            waitingForBuffers.add(socket);
        }
    }

    private void wakeBufferWaiters() {
        for (int i = waitingForBuffers.size() - 1; i >= 0; i--) {
            StackSocket s = waitingForBuffers.remove(i);
            s.pump();
        }
    }
}
