package dev.netstack.udp.internal;

import dev.netstack.ip.NetworkLayer;
import dev.netstack.ip.ProtocolHandler;
import dev.netstack.ip.Route;
import dev.netstack.ip.wire.IcmpHeader;
import dev.netstack.ip.wire.Ipv4Address;
import dev.netstack.ip.wire.Ipv4Header;
import dev.netstack.nic.Disposition;
import dev.netstack.nic.PacketBuffer;
import dev.netstack.nic.PacketMemory;
import dev.netstack.nic.PacketPool;
import dev.netstack.runtime.Counters;
import dev.netstack.runtime.Lane;
import dev.netstack.runtime.Shard;
import dev.netstack.runtime.Timer;
import dev.netstack.udp.UdpError;
import dev.netstack.udp.UdpHandler;
import dev.netstack.udp.UdpLayer;
import dev.netstack.udp.UdpSocket;
import dev.netstack.udp.wire.UdpHeader;
import java.lang.System.Logger.Level;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.util.ArrayList;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Set;
import java.util.SplittableRandom;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import org.osgi.service.component.annotations.Activate;
import org.osgi.service.component.annotations.Component;
import org.osgi.service.component.annotations.Deactivate;
import org.osgi.service.component.annotations.Reference;

/**
 * UDP for one shard: the socket table, demultiplexing, checksums, sending (through the network
 * layer's fragmentation when a datagram exceeds the MTU), ICMP port unreachable, and ICMP errors
 * passed to connected sockets.
 *
 * <p>Read first: RFC 768 (header, pseudo-header checksum), RFC 1122 §4.1.3 (UDP requirements:
 * §4.1.3.1 ports and port unreachable, §4.1.3.3 ICMP errors to the application, §4.1.3.4
 * checksums, §4.1.3.5 UDP and multihoming, §4.1.3.6 broadcast), RFC 6056 §3.3.1 (ephemeral port
 * selection), RFC 4113 (counter names). The binding and delivery rules are on {@link UdpSocket}.
 *
 * <pre>
 *  ip ──receive(packet)──▶ length, checksum ─▶ broadcast? ──yes──▶ every eligible socket (copies)
 *                                                  │ no
 *                                                  ▼
 *                       ports[dst port] list: connected 4-tuple &gt; bound address &gt; wildcard
 *                                                  │ none: ICMP port unreachable
 *                                                  ▼
 *                                   socket ring (limits) ──▶ UdpHandler.onReadable
 *  socket.sendTo ─▶ buffer (device, or large when &gt; MTU) ─▶ header + checksum ─▶ NetworkLayer.send
 * </pre>
 *
 * <p><b>Table.</b> An array of 65536 list heads indexed by port; each list links the sockets bound
 * to that port through {@link UdpEndpoint#nextOnPort}, newest first. Lookup walks one short list
 * with int compares: no hashing, no boxing. Unlinking leaves the removed node's own link intact,
 * so a walk in progress (a handler closing a socket during broadcast delivery) goes on safely.
 *
 * <p><b>Threads.</b> Everything runs on the shard thread; socket methods check it. Only
 * {@link #close()} (deactivation) comes from a control thread, and it hands over to the shard.
 *
 * <p>Not implemented: multicast (the network layer has none yet), checksum offload, IP options,
 * per-socket TTL/TOS, IPv6.
 */
@Component(service = {ProtocolHandler.class, UdpLayer.class},
        property = ProtocolHandler.IP_PROTOCOL_PROPERTY + ":Integer=17",
        configurationPid = {"netstack.udp", Lane.PID}, immediate = true)
public final class UdpProtocol implements ProtocolHandler, UdpLayer {

    private static final System.Logger LOG = System.getLogger(UdpProtocol.class.getName());
    static final int LARGE_BUFFER_BYTES = 65_536 + 256;
    static final int LARGE_BUFFER_HEADROOM = 128;
    private static final long LOG_INTERVAL_NS = 10_000_000_000L;

    private final Shard shard;
    private final NetworkLayer network;
    private final Counters counters = Counters.of("udp", UdpCounter.class);
    private final Arena arena = Arena.ofShared();
    private final PacketPool largePool;
    private final UdpEndpoint[] ports = new UdpEndpoint[65_536];
    private final Set<UdpEndpoint> sockets = new LinkedHashSet<>();
    private final SplittableRandom random = new SplittableRandom();
    private final UdpHeader rxUdp = new UdpHeader();
    private final UdpHeader txUdp = new UdpHeader();
    private final Ipv4Header rxIp = new Ipv4Header();
    private final WritableTimer writableTimer = new WritableTimer();
    private final int ephemeralLow;
    private final int ephemeralHigh;
    private final int queueDatagrams;
    private final int queueBytes;
    private final boolean acceptZeroChecksum;

    private UdpEndpoint blocked;
    private boolean stopped;
    private volatile boolean closed;
    private long lastCallbackLogNs = Long.MIN_VALUE;

    @Activate
    @jakarta.inject.Inject
    public UdpProtocol(UdpConfig config, @Reference(target = "(shard.id=0)") Shard shard,
            @Reference NetworkLayer network) {
        this.shard = shard;
        this.network = network;
        int low = (int) checked("ephemeral.low", config.ephemeral_low(), 1, 65_535, 49_152);
        int high = (int) checked("ephemeral.high", config.ephemeral_high(), 1, 65_535, 65_535);
        if (high < low) {
            LOG.log(Level.ERROR, "netstack.udp ephemeral.high (" + high + ") is below ephemeral.low (" + low
                    + "); set high at or above low (using 49152-65535)");
            low = 49_152;
            high = 65_535;
        }
        this.ephemeralLow = low;
        this.ephemeralHigh = high;
        this.queueDatagrams = (int) checked("receive.queue.datagrams", config.receive_queue_datagrams(), 1,
                UdpEndpoint.MAX_QUEUE_DATAGRAMS, 256);
        this.queueBytes = (int) checked("receive.queue.bytes", config.receive_queue_bytes(), 1, Integer.MAX_VALUE,
                212_992);
        this.acceptZeroChecksum = config.checksum_accept_zero();
        int large = (int) checked("large.buffers", config.large_buffers(), 1, 1024, 4);
        this.largePool = PacketPool.create("udp-large", PacketMemory.offHeap(arena, (long) large * LARGE_BUFFER_BYTES),
                large, LARGE_BUFFER_BYTES, LARGE_BUFFER_HEADROOM);
    }

    private static long checked(String name, long value, long min, long max, long fallback) {
        if (value < min || value > max) {
            LOG.log(Level.ERROR, "netstack.udp " + name + " = " + value + " is out of range; set it between " + min
                    + " and " + max + " (using " + fallback + ")");
            return fallback;
        }
        return value;
    }

    /** Closes every socket with {@link UdpError#PROTOCOL_STOPPED}, on the shard, and frees the large buffers. */
    @Deactivate
    public void close() {
        if (closed) {
            return;
        }
        closed = true;
        CompletableFuture<Void> done = new CompletableFuture<>();
        Runnable stop = () -> {
            stopAll();
            done.complete(null);
        };
        if (shard.inShard() || !shard.execute(stop)) {
            stop.run();
        } else {
            try {
                done.get(2, TimeUnit.SECONDS);
            } catch (Exception e) {
                LOG.log(Level.WARNING, "UDP: the shard did not close the sockets in time; stopping anyway");
            }
        }
        if (largePool.inUse() == 0) {
            arena.close();
        } else {
            LOG.log(Level.WARNING, "UDP: " + largePool.inUse() + " large send buffers still held; their memory is kept");
        }
    }

    private void stopAll() {
        stopped = true;
        List<UdpEndpoint> open = new ArrayList<>(sockets);
        for (UdpEndpoint ep : open) {
            ep.pendingError = UdpError.PROTOCOL_STOPPED;
            release(ep);
            try {
                ep.handler.onError(ep, UdpError.PROTOCOL_STOPPED);
            } catch (RuntimeException e) {
                LOG.log(Level.WARNING, "UDP: a socket handler failed on stop", e);
            }
        }
        if (writableTimer.isScheduled()) {
            shard.timers().cancel(writableTimer);
        }
    }

    public Counters counters() {
        return counters;
    }

    /** The pool of large send buffers, for leak checks. */
    PacketPool largePool() {
        return largePool;
    }

    void checkThread() {
        if (!shard.inShard()) {
            throw new IllegalStateException("UDP sockets belong to shard " + shard.id()
                    + "; call them from its thread (Shard.execute)");
        }
    }

    private long nowNs() {
        return shard.clock().nanoTime();
    }

    // ================================================================ UdpLayer

    @Override
    public UdpSocket open(UdpHandler handler) {
        checkThread();
        if (stopped) {
            throw new IllegalStateException("the UDP module has stopped; open sockets on the new one");
        }
        UdpEndpoint ep = new UdpEndpoint(this, handler == null ? new UdpHandler() { } : handler, queueDatagrams,
                queueBytes);
        sockets.add(ep);
        return ep;
    }

    @Override
    public Shard shard() {
        return shard;
    }

    @Override
    public int ephemeralLow() {
        return ephemeralLow;
    }

    @Override
    public int ephemeralHigh() {
        return ephemeralHigh;
    }

    // ================================================================ binding

    UdpError bind(UdpEndpoint ep, int address, int port) {
        checkThread();
        if (!ep.open) {
            return UdpError.SOCKET_CLOSED;
        }
        if (ep.localPort != 0 || port < 0 || port > 65_535) {
            return UdpError.INVALID_ARGUMENT;
        }
        if (address != 0 && !isLocalOrBroadcast(address)) {
            return UdpError.ADDRESS_NOT_AVAILABLE;
        }
        if (port == 0) {
            return bindEphemeral(ep, address);
        }
        if (conflicts(ep, address, port)) {
            return UdpError.ADDRESS_IN_USE;
        }
        link(ep, address, port);
        return null;
    }

    /** RFC 6056 §3.3.1 (Algorithm 1): a random start in the range, then the next free port. */
    private UdpError bindEphemeral(UdpEndpoint ep, int address) {
        int count = ephemeralHigh - ephemeralLow + 1;
        int port = ephemeralLow + random.nextInt(count);
        for (int i = 0; i < count; i++) {
            if (ports[port] == null) {
                link(ep, address, port);
                return null;
            }
            port = port == ephemeralHigh ? ephemeralLow : port + 1;
        }
        return UdpError.ADDRESS_IN_USE;
    }

    /** The binding rules documented on {@link UdpSocket}. */
    private boolean conflicts(UdpEndpoint ep, int address, int port) {
        for (UdpEndpoint o = ports[port]; o != null; o = o.nextOnPort) {
            boolean overlap = o.localAddress == 0 || address == 0 || o.localAddress == address;
            if (overlap && !(o.reuseAddress && ep.reuseAddress)) {
                return true;
            }
        }
        return false;
    }

    private void link(UdpEndpoint ep, int address, int port) {
        ep.localAddress = address;
        ep.boundAddress = address;
        ep.localPort = port;
        ep.nextOnPort = ports[port];
        ports[port] = ep;
    }

    private void unlink(UdpEndpoint ep) {
        int port = ep.localPort;
        if (ports[port] == ep) {
            ports[port] = ep.nextOnPort;
            return;
        }
        for (UdpEndpoint o = ports[port]; o != null; o = o.nextOnPort) {
            if (o.nextOnPort == ep) {
                o.nextOnPort = ep.nextOnPort;
                return;
            }
        }
    }

    UdpError connect(UdpEndpoint ep, int address, int port) {
        checkThread();
        if (!ep.open) {
            return UdpError.SOCKET_CLOSED;
        }
        if (address == 0 || port <= 0 || port > 65_535) {
            return UdpError.INVALID_ARGUMENT;
        }
        if (!ep.broadcast && isBroadcastAddress(address)) {
            return UdpError.ACCESS_DENIED;
        }
        int source = network.sourceAddressFor(address);
        if (source == 0) {
            return UdpError.NETWORK_UNREACHABLE;
        }
        if (ep.localPort == 0) {
            UdpError e = bindEphemeral(ep, 0);
            if (e != null) {
                return e;
            }
        }
        // RFC 1122 §4.1.3.5: the local address of a connected socket is the one the route uses.
        if (ep.boundAddress == 0) {
            ep.localAddress = source;
        }
        ep.remoteAddress = address;
        ep.remotePort = port;
        return null;
    }

    UdpError disconnect(UdpEndpoint ep) {
        checkThread();
        if (!ep.open) {
            return UdpError.SOCKET_CLOSED;
        }
        ep.remoteAddress = 0;
        ep.remotePort = 0;
        ep.localAddress = ep.boundAddress;
        return null;
    }

    void close(UdpEndpoint ep) {
        checkThread();
        release(ep);
    }

    /** Closes {@code ep}: unbinds it and releases its queue. Runs on the shard, or on the stopping thread if the shard is gone. */
    private void release(UdpEndpoint ep) {
        if (!ep.open) {
            return;
        }
        ep.open = false;
        if (ep.localPort != 0) {
            unlink(ep);
        }
        ep.clearQueue();
        sockets.remove(ep);
    }

    /** An address of this host (its interface's own), 255.255.255.255, or a directed broadcast. */
    private boolean isLocalOrBroadcast(int address) {
        return network.sourceAddressFor(address) == address || isBroadcastAddress(address);
    }

    /** 255.255.255.255, or the directed broadcast of a connected network (RFC 1122 §3.3.6). */
    private boolean isBroadcastAddress(int address) {
        if (address == Ipv4Address.LIMITED_BROADCAST) {
            return true;
        }
        Route route = network.route(address);
        if (route == null || route.gateway() != 0 || route.prefixLength() >= 31 || route.prefixLength() == 0) {
            return false;
        }
        return address == (route.destination() | ~Ipv4Address.mask(route.prefixLength()));
    }

    // ================================================================ receive

    @Override
    public Disposition receive(PacketBuffer packet, long nowNs) {
        MemorySegment seg = packet.segment();
        int length = packet.length();
        int networkOffset = packet.networkOffset();
        if (networkOffset < 0) {
            return inError(packet, UdpCounter.IN_TRUNCATED);
        }
        UdpHeader u = rxUdp.wrap(seg, packet.offset());
        switch (u.checkLength(length)) {
            case UdpHeader.OK -> { }
            case UdpHeader.TRUNCATED -> {
                return inError(packet, UdpCounter.IN_TRUNCATED);
            }
            default -> {
                return inError(packet, UdpCounter.IN_BAD_LENGTH);
            }
        }
        Ipv4Header ip = rxIp.wrap(seg, networkOffset);
        int source = ip.source();
        int destination = ip.destination();
        // RFC 768 / RFC 1122 §4.1.3.4: verify a checksum that is present; 0 means none was sent.
        if (!u.hasChecksum()) {
            counters.increment(UdpCounter.IN_NO_CHECKSUM);
            if (!acceptZeroChecksum) {
                return inError(packet, UdpCounter.IN_NO_CHECKSUM_DROPPED);
            }
        } else if (!packet.hasFlag(PacketBuffer.FLAG_CHECKSUM_VERIFIED) && !u.checksumValid(source, destination)) {
            return inError(packet, UdpCounter.IN_CSUM_ERRORS);
        }
        int sourcePort = u.sourcePort();
        int destinationPort = u.destinationPort();
        packet.truncate(u.length()); // octets past the UDP length are not part of the datagram
        packet.advance(UdpHeader.LENGTH);
        if (isBroadcastDestination(destination)) {
            return deliverBroadcast(packet, source, sourcePort, destination, destinationPort);
        }
        UdpEndpoint ep = lookup(destination, destinationPort, source, sourcePort);
        if (ep == null) {
            // RFC 1122 §4.1.3.1: port unreachable (sendIcmpError applies the §3.2.2 exceptions).
            counters.increment(UdpCounter.NO_PORTS);
            network.sendIcmpError(IcmpHeader.TYPE_DESTINATION_UNREACHABLE, IcmpHeader.CODE_PORT_UNREACHABLE, packet,
                    nowNs);
            packet.release();
            return Disposition.PORT_UNREACHABLE;
        }
        counters.increment(UdpCounter.IN_DATAGRAMS);
        return offer(ep, packet, source, sourcePort, destination) ? Disposition.HANDLED
                : Disposition.NO_RESOURCES;
    }

    private Disposition inError(PacketBuffer packet, UdpCounter reason) {
        counters.increment(UdpCounter.IN_ERRORS);
        counters.increment(reason);
        packet.release();
        return Disposition.MALFORMED;
    }

    /** Whatever the network layer delivers that is not our own unicast address is a broadcast (or multicast). */
    private boolean isBroadcastDestination(int destination) {
        return destination == Ipv4Address.LIMITED_BROADCAST || Ipv4Address.isMulticast(destination)
                || network.sourceAddressFor(destination) != destination;
    }

    /** The most specific socket for a unicast datagram; among equals the most recently bound. */
    private UdpEndpoint lookup(int destination, int destinationPort, int source, int sourcePort) {
        UdpEndpoint best = null;
        int bestScore = 0;
        for (UdpEndpoint ep = ports[destinationPort]; ep != null; ep = ep.nextOnPort) {
            int score;
            if (ep.remotePort != 0) {
                if (ep.remotePort != sourcePort || ep.remoteAddress != source
                        || (ep.localAddress != 0 && ep.localAddress != destination)) {
                    continue;
                }
                score = 3;
            } else if (ep.localAddress == destination) {
                score = 2;
            } else if (ep.localAddress == 0) {
                score = 1;
            } else {
                continue;
            }
            if (score > bestScore) {
                best = ep;
                bestScore = score;
            }
        }
        return best;
    }

    private static boolean eligibleForBroadcast(UdpEndpoint ep, int destination, int source, int sourcePort) {
        return ep.open && (ep.localAddress == 0 || ep.localAddress == destination)
                && (ep.remotePort == 0 || (ep.remotePort == sourcePort && ep.remoteAddress == source));
    }

    /** RFC 1122 §4.1.3.6: a broadcast goes to every eligible socket; copies for all but the last. */
    private Disposition deliverBroadcast(PacketBuffer packet, int source, int sourcePort, int destination,
            int destinationPort) {
        UdpEndpoint last = null;
        for (UdpEndpoint ep = ports[destinationPort]; ep != null; ep = ep.nextOnPort) {
            if (eligibleForBroadcast(ep, destination, source, sourcePort)) {
                last = ep;
            }
        }
        if (last == null) {
            counters.increment(UdpCounter.NO_PORTS); // no ICMP about broadcasts (RFC 1122 §3.2.2)
            packet.release();
            return Disposition.PORT_UNREACHABLE;
        }
        counters.increment(UdpCounter.IN_DATAGRAMS);
        counters.increment(UdpCounter.IN_BROADCASTS);
        for (UdpEndpoint ep = ports[destinationPort]; ep != null && ep != last; ep = ep.nextOnPort) {
            if (!eligibleForBroadcast(ep, destination, source, sourcePort)) {
                continue;
            }
            PacketBuffer copy = copyOf(packet);
            if (copy == null) {
                counters.increment(UdpCounter.IN_BROADCAST_COPY_FAILURES);
                continue;
            }
            counters.increment(UdpCounter.IN_BROADCAST_COPIES);
            offer(ep, copy, source, sourcePort, destination);
        }
        return offer(last, packet, source, sourcePort, destination) ? Disposition.HANDLED
                : Disposition.NO_RESOURCES;
    }

    /** A copy of the data of {@code packet} in a buffer of its own pool, or of the large pool. */
    private PacketBuffer copyOf(PacketBuffer packet) {
        int length = packet.length();
        PacketBuffer copy = packet.pool().allocate();
        if (copy != null && copy.tailroom() < length) {
            copy.release();
            copy = null;
        }
        if (copy == null) {
            copy = largePool.allocate();
            if (copy == null) {
                return null;
            }
        }
        int at = copy.append(length);
        MemorySegment.copy(packet.segment(), packet.offset(), copy.segment(), at, length);
        copy.setInterfaceIndex(packet.interfaceIndex());
        return copy;
    }

    /** Queues {@code payload} on {@code ep} or drops it; takes ownership. */
    private boolean offer(UdpEndpoint ep, PacketBuffer payload, int source, int sourcePort, int destination) {
        if (!ep.open) {
            payload.release();
            return false;
        }
        if (!ep.hasRoom(payload.capacity())) {
            counters.increment(UdpCounter.RCVBUF_ERRORS);
            ep.drops++;
            payload.release();
            return false;
        }
        ep.enqueue(payload, source, sourcePort, destination);
        try {
            ep.handler.onReadable(ep);
        } catch (RuntimeException e) {
            callbackFailed(e);
        }
        return true;
    }

    private void callbackFailed(RuntimeException e) {
        long now = nowNs();
        if (lastCallbackLogNs == Long.MIN_VALUE || now - lastCallbackLogNs >= LOG_INTERVAL_NS) {
            lastCallbackLogNs = now;
            LOG.log(Level.WARNING, "UDP: a socket handler threw; fix the handler (logged at most every 10 s)", e);
        }
    }

    // ================================================================ ICMP errors

    /** RFC 1122 §4.1.3.3: ICMP errors go to the application, here to the connected socket that sent the datagram. */
    @Override
    public void icmpErrorReceived(int type, int code, PacketBuffer packet, long nowNs) {
        counters.increment(UdpCounter.ICMP_ERRORS_RECEIVED);
        UdpError error = errorFor(type, code);
        int t = packet.transportOffset();
        if (error == null || t < 0 || packet.end() - t < UdpHeader.LENGTH || packet.length() < Ipv4Header.MIN_LENGTH) {
            return;
        }
        MemorySegment seg = packet.segment();
        Ipv4Header quoted = rxIp.wrap(seg, packet.offset());
        int local = quoted.source();
        int remote = quoted.destination();
        UdpHeader u = rxUdp.wrap(seg, t);
        int localPort = u.sourcePort();
        int remotePort = u.destinationPort();
        for (UdpEndpoint ep = ports[localPort]; ep != null; ep = ep.nextOnPort) {
            if (ep.remotePort == remotePort && ep.remoteAddress == remote
                    && (ep.localAddress == 0 || ep.localAddress == local)) {
                counters.increment(UdpCounter.ICMP_ERRORS_DELIVERED);
                ep.pendingError = error;
                try {
                    ep.handler.onError(ep, error);
                } catch (RuntimeException e) {
                    callbackFailed(e);
                }
                return;
            }
        }
    }

    /** ICMP type and code to errno, as Linux maps them (icmp_err_convert); null for those not reported. */
    static UdpError errorFor(int type, int code) {
        return switch (type) {
            case IcmpHeader.TYPE_DESTINATION_UNREACHABLE -> switch (code) {
                case 0, 6, 9, 11 -> UdpError.NETWORK_UNREACHABLE;
                case 2 -> UdpError.PROTOCOL_UNREACHABLE;
                case 3 -> UdpError.CONNECTION_REFUSED;
                case 4 -> UdpError.MESSAGE_TOO_LONG;
                default -> UdpError.HOST_UNREACHABLE;
            };
            case IcmpHeader.TYPE_TIME_EXCEEDED -> UdpError.HOST_UNREACHABLE;
            case IcmpHeader.TYPE_PARAMETER_PROBLEM -> UdpError.PROTOCOL_ERROR;
            default -> null; // source quench is deprecated (RFC 6633) and ignored
        };
    }

    // ================================================================ send

    int sendHeadroom() {
        return UdpHeader.LENGTH + network.headroom();
    }

    /**
     * An empty buffer with room for the headers in front: a device buffer when the datagram fits
     * the route's MTU, else a large one.
     */
    PacketBuffer allocate(int destination, int payloadBytes) {
        if (payloadBytes < 0 || payloadBytes > UdpHeader.MAX_PAYLOAD) {
            return null;
        }
        int mtu = network.mtu(destination);
        if (mtu == 0) {
            return null;
        }
        int udpBytes = UdpHeader.LENGTH + payloadBytes;
        if (Ipv4Header.MIN_LENGTH + udpBytes <= mtu) {
            PacketBuffer b = network.allocate(destination);
            if (b != null && b.headroom() >= sendHeadroom() && b.tailroom() >= payloadBytes) {
                return b;
            }
            if (b != null) {
                b.release();
            }
            return null;
        }
        PacketBuffer b = largePool.allocate();
        if (b != null && b.tailroom() < payloadBytes) {
            b.release();
            return null;
        }
        return b;
    }

    /** Checks common to every send; binds an unbound socket. Null if the send may go on. */
    private UdpError checkSend(UdpEndpoint ep, int destination, int port, int length) {
        checkThread();
        if (!ep.open) {
            return UdpError.SOCKET_CLOSED;
        }
        if (destination == 0 || port <= 0 || port > 65_535 || length < 0) {
            return UdpError.INVALID_ARGUMENT;
        }
        if (length > UdpHeader.MAX_PAYLOAD) {
            counters.increment(UdpCounter.OUT_TOO_BIG);
            return UdpError.MESSAGE_TOO_LONG;
        }
        if (!ep.broadcast && isBroadcastAddress(destination)) {
            return UdpError.ACCESS_DENIED;
        }
        if (network.mtu(destination) == 0) {
            counters.increment(UdpCounter.OUT_NO_ROUTES);
            return UdpError.NETWORK_UNREACHABLE;
        }
        if (ep.localPort == 0) {
            return bindEphemeral(ep, 0);
        }
        return null;
    }

    UdpError sendCopy(UdpEndpoint ep, int destination, int port, MemorySegment data, long offset, int length) {
        UdpError error = checkSend(ep, destination, port, length);
        if (error != null) {
            return error;
        }
        PacketBuffer b = allocate(destination, length);
        if (b == null) {
            counters.increment(UdpCounter.SNDBUF_ERRORS);
            block(ep);
            return UdpError.WOULD_BLOCK;
        }
        int at = b.append(length);
        MemorySegment.copy(data, offset, b.segment(), at, length);
        return transmit(ep, destination, port, b);
    }

    UdpError sendBuffer(UdpEndpoint ep, int destination, int port, PacketBuffer payload) {
        UdpError error = checkSend(ep, destination, port, payload.length());
        if (error == null && payload.headroom() < sendHeadroom()) {
            error = UdpError.INVALID_ARGUMENT;
        }
        if (error != null) {
            payload.release();
            return error;
        }
        return transmit(ep, destination, port, payload);
    }

    /** Prepends the header, fills the checksum and hands the datagram to the network layer. Takes ownership. */
    private UdpError transmit(UdpEndpoint ep, int destination, int port, PacketBuffer b) {
        // RFC 1122 §4.1.3.5: the source is the bound address, else the route's.
        int source = ep.localAddress != 0 && network.sourceAddressFor(ep.localAddress) == ep.localAddress
                ? ep.localAddress : network.sourceAddressFor(destination);
        int payloadLength = b.length();
        int udpLength = UdpHeader.LENGTH + payloadLength;
        int at = b.prepend(UdpHeader.LENGTH);
        txUdp.wrap(b.segment(), at).emit(ep.localPort, port, udpLength).fillChecksum(source, destination);
        b.setTransportOffset(at);
        if (b.pool() == largePool && Ipv4Header.MIN_LENGTH + udpLength <= network.mtu(destination)) {
            // Devices may not reach the large pool's memory: a datagram that fits goes in a device buffer.
            PacketBuffer device = network.allocate(destination);
            if (device == null || device.tailroom() < udpLength || device.headroom() < network.headroom()) {
                if (device != null) {
                    device.release();
                }
                b.release();
                counters.increment(UdpCounter.SNDBUF_ERRORS);
                block(ep);
                return UdpError.WOULD_BLOCK;
            }
            int to = device.append(udpLength);
            MemorySegment.copy(b.segment(), at, device.segment(), to, udpLength);
            device.setTransportOffset(to);
            b.release();
            b = device;
        }
        Disposition d = network.send(source, destination, UdpHeader.PROTOCOL, b, nowNs());
        switch (d) {
            case HANDLED, QUEUED -> {
                counters.increment(UdpCounter.OUT_DATAGRAMS);
                return null;
            }
            case NO_RESOURCES -> {
                counters.increment(UdpCounter.SNDBUF_ERRORS);
                block(ep);
                return UdpError.NO_BUFFERS;
            }
            default -> {
                counters.increment(UdpCounter.OUT_NO_ROUTES);
                return UdpError.NETWORK_UNREACHABLE;
            }
        }
    }

    /** Remembers that {@code ep} wants {@link UdpHandler#onWritable}, delivered on the next timer tick. */
    private void block(UdpEndpoint ep) {
        if (!ep.wantsWritable) {
            ep.wantsWritable = true;
            ep.nextBlocked = blocked;
            blocked = ep;
        }
        if (!writableTimer.isScheduled()) {
            long now = nowNs();
            shard.timers().schedule(writableTimer, now + shard.timers().tickNs());
        }
    }

    /** Tells blocked senders to try again: buffers are returned as devices transmit, by the next tick. */
    private final class WritableTimer extends Timer {
        @Override
        protected void onExpiry(long nowNs) {
            UdpEndpoint ep = blocked;
            blocked = null;
            while (ep != null) {
                UdpEndpoint next = ep.nextBlocked;
                ep.nextBlocked = null;
                ep.wantsWritable = false;
                if (ep.open) {
                    try {
                        ep.handler.onWritable(ep);
                    } catch (RuntimeException e) {
                        callbackFailed(e);
                    }
                }
                ep = next;
            }
        }
    }
}
