package dev.netstack.ip.internal;

import dev.netstack.ethernet.EtherTypeHandler;
import dev.netstack.ethernet.InterfaceListener;
import dev.netstack.ethernet.LinkLayer;
import dev.netstack.ethernet.NetInterface;
import dev.netstack.ip.NetworkLayer;
import dev.netstack.ip.Pinger;
import dev.netstack.ip.ProtocolHandler;
import dev.netstack.ip.Route;
import dev.netstack.ip.RoutingTable;
import dev.netstack.ip.wire.IcmpHeader;
import dev.netstack.ip.wire.InternetChecksum;
import dev.netstack.ip.wire.Ipv4Address;
import dev.netstack.ip.wire.Ipv4Header;
import dev.netstack.nic.DeviceCapabilities;
import dev.netstack.nic.Disposition;
import dev.netstack.nic.NetDevice;
import dev.netstack.nic.PacketBuffer;
import dev.netstack.nic.PacketMemory;
import dev.netstack.nic.PacketPool;
import dev.netstack.runtime.Counters;
import dev.netstack.runtime.Lane;
import dev.netstack.runtime.Shard;
import java.lang.System.Logger.Level;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.nio.ByteOrder;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import org.osgi.service.component.annotations.Activate;
import org.osgi.service.component.annotations.Component;
import org.osgi.service.component.annotations.Deactivate;
import org.osgi.service.component.annotations.Reference;
import org.osgi.service.component.annotations.ReferenceCardinality;
import org.osgi.service.component.annotations.ReferencePolicy;

/**
 * IPv4 and ICMP for a host: receive, validate, reassemble and dispatch; send, route and fragment;
 * answer echo; report errors with ICMP.
 *
 * <p>Read first: RFC 791 §3.1-3.2 (header, fragmentation and reassembly), RFC 1122 §3.2.1
 * (what a host must check on receive) and §3.2.2 (ICMP: when to send errors and when never to),
 * RFC 792 (ICMP messages), RFC 4293 (names of the counters). Reassembly and its overlap policy are
 * described in {@link Reassembler}.
 *
 * <pre>
 *  ethernet ──receive(nif, packet)──▶ validate ─▶ for us? ─▶ fragment? ─▶ Reassembler
 *                                                                  │            │ whole datagram
 *                                                                  ▼            ▼
 *                                        ICMP (echo, errors) ◀── protocol 1?  handlers[protocol]
 *                                                                              (absent: ICMP
 *                                                                               protocol unreachable)
 *  transports ──send(src, dst, proto, payload)──▶ route ─▶ fits MTU? prepend header : fragment
 *                                                          ──▶ LinkLayer.sendIpv4(nif, nextHop)
 * </pre>
 *
 * <p><b>Threads.</b> Receive, send and timers run on the shard thread and allocate nothing.
 * Binding protocol handlers, routes and addresses are control path: they replace copy-on-write
 * arrays or snapshots the data path reads with one volatile load. The layer keeps its reassembly,
 * ICMP rate limit and ping state on its one shard. A stack of several shards runs one Ipv4Layer
 * per shard (a lane): lane 0 receives everything but TCP, and hands an ICMP error about another
 * lane's TCP flow to that lane ({@link #setLanes} in embedded mode, the {@code peers} reference
 * under OSGi).
 *
 * <p>Not implemented: forwarding (this is a host), IP options (skipped on receive, never sent),
 * loopback delivery of datagrams sent to one of our own addresses, multicast.
 */
@Component(service = {EtherTypeHandler.class, NetworkLayer.class, RoutingTable.class, Pinger.class,
        InterfaceListener.class}, property = EtherTypeHandler.ETHER_TYPE_PROPERTY + "=0x0800",
        configurationPid = {"netstack.ip", Lane.PID}, immediate = true)
public final class Ipv4Layer implements EtherTypeHandler, NetworkLayer, RoutingTable, Pinger, InterfaceListener {

    private static final System.Logger LOG = System.getLogger(Ipv4Layer.class.getName());

    /** Large buffers for reassembly: a 65535-byte datagram plus headroom and a maximal header. */
    static final int LARGE_BUFFER_BYTES = 65_536 + 256;
    static final int LARGE_BUFFER_HEADROOM = 128;
    /** Bytes of an ICMP error's quote after the IP header (RFC 792: 64 bits of data). */
    private static final int QUOTED_DATA_BYTES = 8;

    private final LinkLayer link;
    private final Shard shard;
    private final RouteTable routes;
    private final Counters counters = Counters.of("ip", IpCounter.class);
    private final Counters icmpCounters = Counters.of("icmp", IcmpCounter.class);
    private final Arena arena = Arena.ofShared();
    private final PacketPool largePool;
    /**
     * Buffers for segmentation-offload sends (TSO), made on first use: only stacks whose device
     * segments pay for them. GC-managed memory: a device may still hold one when the layer closes.
     */
    private PacketPool segmentPool;
    /** Segmented sends in flight at once (per turn, until the device writes them). */
    static final int SEGMENT_BUFFERS = 64;
    private final Reassembler reassembler;
    private final Ipv4Header ip = new Ipv4Header();
    private final Ipv4Header quoted = new Ipv4Header();
    private final IcmpHeader icmp = new IcmpHeader();
    private final int ttl;
    private final Map<String, Ipv4Address.Cidr> addresses = new ConcurrentHashMap<>();
    private final PingSessions pings;

    private volatile ProtocolHandler[] handlers = new ProtocolHandler[256];
    private int nextIdentification;

    // ICMP error token bucket (RFC 1122 §3.2.2, RFC 1812 §4.3.2.8), in tokens scaled by 1e9.
    private final long ratePerSecond;
    private final long bucketCapacity;
    private long bucketTokens;
    private long bucketLastNs;

    @Activate
    @jakarta.inject.Inject
    public Ipv4Layer(@Reference LinkLayer link, @Reference Shard shard, IpConfig config) {
        this.link = link;
        this.shard = shard;
        // A bad value is reported in one sentence and replaced by its default (RFC 1122 §3.2.1.7: TTL > 0).
        this.ttl = (int) checked("ttl", config.ttl(), 1, 255, 64);
        long timeoutMs = checked("reassembly.timeout.ms", config.reassembly_timeout_ms(), 1, 3_600_000, 30_000);
        long memoryBytes = checked("reassembly.memory.bytes", config.reassembly_memory_bytes(), LARGE_BUFFER_BYTES,
                4096L * LARGE_BUFFER_BYTES, 4L << 20);
        this.ratePerSecond = checked("icmp.rate.per.second", config.icmp_rate_per_second(), 0, 1_000_000, 100);
        this.routes = new RouteTable(link);
        int largeBuffers = (int) (memoryBytes / LARGE_BUFFER_BYTES);
        this.largePool = PacketPool.create("ip-reassembly",
                PacketMemory.offHeap(arena, (long) largeBuffers * LARGE_BUFFER_BYTES),
                largeBuffers, LARGE_BUFFER_BYTES, LARGE_BUFFER_HEADROOM);
        this.reassembler = new Reassembler(this, largePool, counters, shard.timers(), timeoutMs * 1_000_000L);
        this.bucketCapacity = Math.max(1, ratePerSecond) * 1_000_000_000L;
        this.bucketTokens = bucketCapacity;
        this.bucketLastNs = shard.clock().nanoTime();
        this.pings = new PingSessions(this, shard, icmpCounters);
    }

    private static long checked(String name, long value, long min, long max, long fallback) {
        if (value < min || value > max) {
            LOG.log(Level.ERROR, "netstack.ip " + name + " = " + value + " is out of range; set it between " + min
                    + " and " + max + " (using " + fallback + ")");
            return fallback;
        }
        return value;
    }

    @Deactivate
    public void close() {
        CompletableFuture<Void> done = new CompletableFuture<>();
        Runnable cleanup = () -> {
            reassembler.clearAll();
            pings.cancelAll();
            done.complete(null);
        };
        if (shard.inShard() || !shard.execute(cleanup)) {
            cleanup.run();
        } else {
            try {
                done.get(2, java.util.concurrent.TimeUnit.SECONDS);
            } catch (Exception e) {
                LOG.log(Level.WARNING, "IPv4 layer: the shard did not clean up in time; closing anyway");
            }
        }
        if (largePool.inUse() == 0) {
            arena.close();
        } else {
            LOG.log(Level.WARNING, "IPv4 layer: " + largePool.inUse()
                    + " reassembled datagrams still held by transports; their memory is kept");
        }
    }

    // ---------------------------------------------------------------- whiteboard and config

    @Reference(name = "protocol", service = ProtocolHandler.class, cardinality = ReferenceCardinality.MULTIPLE,
            policy = ReferencePolicy.DYNAMIC, unbind = "unbindProtocolHandler")
    void bindProtocolHandler(ProtocolHandler handler, Map<String, Object> properties) {
        int protocol = protocolOf(properties);
        if (protocol < 0) {
            LOG.log(Level.WARNING, "A ProtocolHandler without a valid ip.protocol property (0-255) was ignored: "
                    + properties.get(ProtocolHandler.IP_PROTOCOL_PROPERTY));
            return;
        }
        bindProtocol(protocol, handler);
    }

    void unbindProtocolHandler(ProtocolHandler handler, Map<String, Object> properties) {
        int protocol = protocolOf(properties);
        if (protocol >= 0) {
            unbindProtocol(protocol, handler);
        }
    }

    static int protocolOf(Map<String, Object> properties) {
        Object value = properties.get(ProtocolHandler.IP_PROTOCOL_PROPERTY);
        int protocol = -1;
        if (value instanceof Number n) {
            protocol = n.intValue();
        } else if (value instanceof String s) {
            try {
                protocol = Integer.decode(s.trim());
            } catch (NumberFormatException e) {
                protocol = -1;
            }
        }
        return protocol >= 0 && protocol <= 255 && protocol != Ipv4Header.PROTOCOL_ICMP ? protocol : -1;
    }

    /** Binds {@code handler} to {@code protocol} (ICMP, 1, is served here and cannot be bound). */
    public synchronized void bindProtocol(int protocol, ProtocolHandler handler) {
        if (protocol < 0 || protocol > 255 || protocol == Ipv4Header.PROTOCOL_ICMP) {
            throw new IllegalArgumentException("protocol must be 0 to 255 and not ICMP, got " + protocol);
        }
        ProtocolHandler[] next = handlers.clone();
        next[protocol] = handler;
        handlers = next;
    }

    /** Unbinds {@code handler} if it still serves {@code protocol}. */
    public synchronized void unbindProtocol(int protocol, ProtocolHandler handler) {
        if (handlers[protocol] == handler) {
            ProtocolHandler[] next = handlers.clone();
            next[protocol] = null;
            handlers = next;
        }
    }

    /**
     * Assigns {@code cidr} to the interface {@code name} now if it exists, or when it appears:
     * sets the interface's address (so ARP answers) and adds the connected route. Control path.
     */
    public void assignAddress(String name, Ipv4Address.Cidr cidr) {
        addresses.put(name, cidr);
        NetInterface nif = link.interfaceByName(name);
        if (nif != null) {
            apply(nif, cidr);
        }
    }

    /** Removes the address assigned to {@code name} and its connected route. Control path. */
    public void unassignAddress(String name, Ipv4Address.Cidr cidr) {
        if (addresses.remove(name, cidr)) {
            routes.remove(cidr.network(), cidr.prefixLength());
            NetInterface nif = link.interfaceByName(name);
            if (nif != null && nif.ipv4Address() == cidr.address()) {
                nif.setIpv4Address(0, 0);
            }
        }
    }

    private void apply(NetInterface nif, Ipv4Address.Cidr cidr) {
        nif.setIpv4Address(cidr.address(), cidr.prefixLength());
        routes.add(new Route(cidr.network(), cidr.prefixLength(), 0, nif.name()));
        routes.invalidateInterfaces();
    }

    @Override
    public void interfaceAdded(NetInterface nif) {
        Ipv4Address.Cidr cidr = addresses.get(nif.name());
        if (cidr != null) {
            apply(nif, cidr);
        }
        routes.invalidateInterfaces();
    }

    @Override
    public void interfaceRemoved(NetInterface nif) {
        routes.invalidateInterfaces();
    }

    public Counters counters() {
        return counters;
    }

    public Counters icmpCounters() {
        return icmpCounters;
    }

    /** The pool of large buffers (reassembly), for leak checks in tests and embedded mode. */
    public PacketPool largePool() {
        return largePool;
    }

    Reassembler reassembler() {
        return reassembler;
    }

    // ---------------------------------------------------------------- RoutingTable

    @Override
    public void add(Route route) {
        routes.add(route);
    }

    @Override
    public boolean remove(int destination, int prefixLength) {
        return routes.remove(destination, prefixLength);
    }

    @Override
    public Route lookup(int destination) {
        return routes.lookup(destination);
    }

    @Override
    public List<Route> routes() {
        return routes.routes();
    }

    // ---------------------------------------------------------------- receive

    @Override
    public Disposition receive(NetInterface nif, PacketBuffer packet, long nowNs) {
        counters.increment(IpCounter.IN_RECEIVES);
        MemorySegment seg = packet.segment();
        int offset = packet.offset();
        int length = packet.length();
        if (length < Ipv4Header.MIN_LENGTH) {
            return malformed(packet, IpCounter.HDR_TRUNCATED);
        }
        Ipv4Header h = ip.wrap(seg, offset);
        // RFC 1122 §3.2.1.1: silently discard a datagram whose version is not 4.
        if (h.version() != 4) {
            return malformed(packet, IpCounter.HDR_BAD_VERSION);
        }
        switch (h.checkLength(length)) {
            case Ipv4Header.OK -> { }
            case Ipv4Header.BAD_IHL -> {
                return malformed(packet, IpCounter.HDR_BAD_IHL);
            }
            case Ipv4Header.TRUNCATED -> {
                return malformed(packet, IpCounter.HDR_TRUNCATED);
            }
            default -> {
                return malformed(packet, IpCounter.HDR_BAD_LENGTH);
            }
        }
        // RFC 1122 §3.2.1.2: verify the header checksum unless the device did.
        if (!packet.hasFlag(PacketBuffer.FLAG_CHECKSUM_VERIFIED) && !h.checksumValid()) {
            return malformed(packet, IpCounter.HDR_BAD_CHECKSUM);
        }
        // Trailing link padding (short frames are padded to 60 bytes) is not part of the datagram.
        packet.truncate(h.totalLength());
        int source = h.source();
        // RFC 1122 §3.2.1.3: a source that is not a single host is invalid.
        if (source == Ipv4Address.LIMITED_BROADCAST || Ipv4Address.isMulticast(source)) {
            return malformed(packet, IpCounter.HDR_BAD_SOURCE);
        }
        if (!isForUs(nif, h.destination())) {
            counters.increment(IpCounter.IN_ADDR_ERRORS);
            packet.release();
            return Disposition.NOT_FOR_US;
        }
        packet.setNetworkOffset(offset);
        packet.setInterfaceIndex(nif.index());
        if (h.isFragment()) {
            PacketBuffer whole = reassembler.accept(packet, nowNs);
            if (whole == null) {
                return reassembler.lastDisposition;
            }
            packet = whole;
        }
        return deliver(packet, nowNs);
    }

    private Disposition malformed(PacketBuffer packet, IpCounter reason) {
        counters.increment(IpCounter.IN_HDR_ERRORS);
        counters.increment(reason);
        packet.release();
        return Disposition.MALFORMED;
    }

    /** RFC 1122 §3.2.1.3: our address, the directed broadcast of our network, or 255.255.255.255. */
    private static boolean isForUs(NetInterface nif, int destination) {
        if (destination == Ipv4Address.LIMITED_BROADCAST) {
            return true;
        }
        int address = nif.ipv4Address();
        if (address == 0) {
            return false;
        }
        return destination == address || isDirectedBroadcast(nif, destination);
    }

    private static boolean isDirectedBroadcast(NetInterface nif, int destination) {
        int prefix = nif.ipv4PrefixLength();
        if (prefix <= 0 || prefix >= 31 || nif.ipv4Address() == 0) {
            return false;
        }
        int mask = Ipv4Address.mask(prefix);
        return destination == (nif.ipv4Address() | ~mask);
    }

    private boolean isBroadcastOrMulticast(int interfaceIndex, int destination) {
        if (destination == Ipv4Address.LIMITED_BROADCAST || Ipv4Address.isMulticast(destination)) {
            return true;
        }
        NetInterface nif = interfaceIndex > 0 ? link.interfaceByIndex(interfaceIndex) : null;
        return nif != null && isDirectedBroadcast(nif, destination);
    }

    /** A whole datagram, data at its IP header and networkOffset set: to ICMP or a transport. */
    private Disposition deliver(PacketBuffer packet, long nowNs) {
        Ipv4Header h = ip.wrap(packet.segment(), packet.offset());
        int protocol = h.protocol();
        packet.advance(h.headerLength()); // options, if any, are skipped with the header
        packet.setTransportOffset(packet.offset());
        if (protocol == Ipv4Header.PROTOCOL_ICMP) {
            counters.increment(IpCounter.IN_DELIVERS);
            return receiveIcmp(packet, nowNs);
        }
        ProtocolHandler handler = handlers[protocol];
        if (handler == null) {
            // RFC 1122 §3.2.2.1: protocol unreachable (sendIcmpError checks the exceptions).
            counters.increment(IpCounter.IN_UNKNOWN_PROTOS);
            sendIcmpError(IcmpHeader.TYPE_DESTINATION_UNREACHABLE, IcmpHeader.CODE_PROTOCOL_UNREACHABLE, packet, nowNs);
            packet.release();
            return Disposition.PROTOCOL_UNREACHABLE;
        }
        counters.increment(IpCounter.IN_DELIVERS);
        return handler.receive(packet, nowNs);
    }

    // ---------------------------------------------------------------- ICMP receive

    private Disposition receiveIcmp(PacketBuffer packet, long nowNs) {
        icmpCounters.increment(IcmpCounter.IN_MSGS);
        MemorySegment seg = packet.segment();
        int length = packet.length();
        IcmpHeader m = icmp.wrap(seg, packet.offset());
        if (!m.checkLength(length)) {
            icmpCounters.increment(IcmpCounter.IN_ERRORS);
            packet.release();
            return Disposition.MALFORMED;
        }
        if (!m.checksumValid(length)) {
            icmpCounters.increment(IcmpCounter.IN_ERRORS);
            icmpCounters.increment(IcmpCounter.IN_BAD_CHECKSUM);
            packet.release();
            return Disposition.MALFORMED;
        }
        int type = m.type();
        switch (type) {
            case IcmpHeader.TYPE_ECHO_REQUEST -> {
                icmpCounters.increment(IcmpCounter.IN_ECHOS);
                return answerEcho(packet, nowNs);
            }
            case IcmpHeader.TYPE_ECHO_REPLY -> {
                icmpCounters.increment(IcmpCounter.IN_ECHO_REPS);
                Ipv4Header h = ip.wrap(seg, packet.networkOffset());
                pings.reply(h.source(), m.identifier(), m.sequence(), length - IcmpHeader.LENGTH, h.ttl(), nowNs);
                packet.release();
                return Disposition.HANDLED;
            }
            case IcmpHeader.TYPE_DESTINATION_UNREACHABLE, IcmpHeader.TYPE_TIME_EXCEEDED,
                    IcmpHeader.TYPE_PARAMETER_PROBLEM, IcmpHeader.TYPE_SOURCE_QUENCH -> {
                icmpCounters.increment(type == IcmpHeader.TYPE_DESTINATION_UNREACHABLE ? IcmpCounter.IN_DEST_UNREACHS
                        : type == IcmpHeader.TYPE_TIME_EXCEEDED ? IcmpCounter.IN_TIME_EXCDS
                        : type == IcmpHeader.TYPE_PARAMETER_PROBLEM ? IcmpCounter.IN_PARM_PROBS
                        : IcmpCounter.IN_OTHER);
                return passErrorUp(packet, type, m.code(), nowNs);
            }
            default -> {
                icmpCounters.increment(IcmpCounter.IN_OTHER);
                packet.release();
                return Disposition.HANDLED;
            }
        }
    }

    /** RFC 1122 §3.2.2.1-5: hand an error to the transport whose datagram it quotes. */
    private Disposition passErrorUp(PacketBuffer packet, int type, int code, long nowNs) {
        int quoteLength = packet.length() - IcmpHeader.LENGTH;
        Ipv4Header q = quoted.wrap(packet.segment(), packet.offset() + IcmpHeader.LENGTH);
        if (quoteLength < Ipv4Header.MIN_LENGTH || q.version() != 4 || q.headerLength() < Ipv4Header.MIN_LENGTH
                || quoteLength < q.headerLength() + QUOTED_DATA_BYTES) {
            icmpCounters.increment(IcmpCounter.IN_ERRORS);
            packet.release();
            return Disposition.MALFORMED;
        }
        int protocol = q.protocol();
        if (protocol == Ipv4Header.PROTOCOL_TCP && forwardedToItsLane(packet, q, type, code, nowNs)) {
            packet.release();
            return Disposition.HANDLED;
        }
        ProtocolHandler handler = protocol == Ipv4Header.PROTOCOL_ICMP ? null : handlers[protocol];
        if (handler != null) {
            packet.advance(IcmpHeader.LENGTH);
            packet.setTransportOffset(packet.offset() + q.headerLength());
            handler.icmpErrorReceived(type, code, packet, nowNs);
        }
        packet.release();
        return Disposition.HANDLED;
    }

    /**
     * RFC 792 echo, RFC 1122 §3.2.2.6: reply with the same data, in the request's own buffer.
     * Requests to a broadcast address are ignored (§3.2.2.6 allows it; it avoids smurf floods).
     */
    private Disposition answerEcho(PacketBuffer packet, long nowNs) {
        Ipv4Header h = ip.wrap(packet.segment(), packet.networkOffset());
        int requester = h.source();
        int destination = h.destination();
        if (isBroadcastOrMulticast(packet.interfaceIndex(), destination)) {
            icmpCounters.increment(IcmpCounter.IN_BROADCAST_ECHOS_IGNORED);
            packet.release();
            return Disposition.DROPPED;
        }
        if (requester == 0 || Ipv4Address.isLoopback(requester)) {
            icmpCounters.increment(IcmpCounter.IN_ERRORS);
            packet.release();
            return Disposition.DROPPED;
        }
        IcmpHeader m = icmp.wrap(packet.segment(), packet.offset());
        // Type 8 -> 0, code stays: patch the checksum incrementally (RFC 1624).
        int oldWord = m.type() << 8 | m.code();
        m.setType(IcmpHeader.TYPE_ECHO_REPLY);
        m.setChecksum(InternetChecksum.update(m.checksum(), oldWord, m.code()));
        icmpCounters.increment(IcmpCounter.OUT_MSGS);
        icmpCounters.increment(IcmpCounter.OUT_ECHO_REPS);
        Disposition sent = send(destination, requester, Ipv4Header.PROTOCOL_ICMP, 0, packet, nowNs);
        return sent == Disposition.QUEUED ? Disposition.HANDLED : sent;
    }

    // ---------------------------------------------------------------- send

    @Override
    public int headroom() {
        return LinkLayer.ETHERNET_HEADER_BYTES + Ipv4Header.MIN_LENGTH;
    }

    @Override
    public Route route(int destination) {
        return routes.lookup(destination);
    }

    @Override
    public int mtu(int destination) {
        RouteTable.Entry entry = routes.lookupEntry(destination);
        NetInterface nif = entry == null ? null : routes.interfaceOf(entry);
        return nif == null ? 0 : nif.mtu();
    }

    @Override
    public int sourceAddressFor(int destination) {
        RouteTable.Entry entry = routes.lookupEntry(destination);
        NetInterface nif = entry == null ? null : routes.interfaceOf(entry);
        return nif == null ? 0 : nif.ipv4Address();
    }

    @Override
    public Disposition send(int source, int destination, int protocol, int flags, PacketBuffer payload, long nowNs) {
        counters.increment(IpCounter.OUT_REQUESTS);
        RouteTable.Entry entry = routes.lookupEntry(destination);
        NetInterface nif = entry == null ? null : routes.interfaceOf(entry);
        if (nif == null) {
            counters.increment(IpCounter.OUT_NO_ROUTES);
            payload.release();
            return Disposition.DROPPED;
        }
        // The limited broadcast goes out on the link as it is, never to a gateway (RFC 1122 §3.3.6).
        int nextHop = entry.route.gateway() != 0 && destination != Ipv4Address.LIMITED_BROADCAST
                ? entry.route.gateway() : destination;
        int from = source != 0 ? source : nif.ipv4Address();
        int payloadLength = payload.length();
        if (payloadLength > Ipv4Header.MAX_TOTAL_LENGTH - Ipv4Header.MIN_LENGTH) {
            counters.increment(IpCounter.OUT_DISCARDS);
            payload.release();
            return Disposition.DROPPED;
        }
        int mtu = Math.max(68, nif.mtu()); // RFC 791: every link carries 68 bytes
        int identification = nextIdentification++ & 0xFFFF;
        int df = (flags & FLAG_DONT_FRAGMENT) != 0 ? Ipv4Header.FLAG_DONT_FRAGMENT : 0;
        // A segmented payload (TSO) fits when the device cuts it: it leaves whole, never fragmented.
        boolean fits = Ipv4Header.MIN_LENGTH + payloadLength <= mtu
                || payload.hasFlag(PacketBuffer.FLAG_SEGMENTED) && payloadLength <= maxSegmentedBytes(nif);
        // In place when it fits, the buffer is a device's (not a large one, which devices may not
        // reach), and there is room for the IP and Ethernet headers; otherwise copied.
        if (fits && payload.pool() != largePool && payload.headroom() >= headroom()) {
            int at = payload.prepend(Ipv4Header.MIN_LENGTH);
            ip.wrap(payload.segment(), at)
                    .emit(Ipv4Header.MIN_LENGTH + payloadLength, identification, df, ttl, protocol, from, destination);
            payload.setNetworkOffset(at);
            payload.setInterfaceIndex(nif.index());
            return link.sendIpv4(nif, nextHop, payload, nowNs);
        }
        if (!fits && df != 0) {
            // RFC 791 §2.3: DF set and too big: not sent; the transport learns it from the result.
            counters.increment(IpCounter.OUT_TOO_BIG);
            counters.increment(IpCounter.FRAG_FAILS);
            payload.release();
            return Disposition.DROPPED;
        }
        return sendCopied(nif, nextHop, from, destination, protocol, identification, df, mtu, payload, nowNs);
    }

    /**
     * RFC 791 §3.2 "An Example Fragmentation Procedure": copies {@code payload} slice by slice into
     * device buffers, each with a copy of the header, offsets in 8-byte units, MF on all but the
     * last. A payload that fits is copied whole (it came from the large pool, which devices may
     * not reach). Takes ownership of {@code payload}.
     */
    private Disposition sendCopied(NetInterface nif, int nextHop, int source, int destination, int protocol,
            int identification, int df, int mtu, PacketBuffer payload, long nowNs) {
        int total = payload.length();
        int maxSlice = (mtu - Ipv4Header.MIN_LENGTH) & ~7;
        int position = 0;
        int pieces = 0;
        Disposition result = Disposition.HANDLED;
        do {
            PacketBuffer piece = link.allocate(nif);
            if (piece == null) {
                counters.increment(IpCounter.OUT_NO_BUFFERS);
                counters.increment(IpCounter.FRAG_FAILS);
                payload.release();
                return Disposition.NO_RESOURCES;
            }
            int room = (piece.tailroom() - Ipv4Header.MIN_LENGTH) & ~7;
            int slice = Math.min(total - position, Math.min(maxSlice, room));
            if (slice <= 0 && total > 0) {
                piece.release();
                counters.increment(IpCounter.FRAG_FAILS);
                payload.release();
                return Disposition.NO_RESOURCES;
            }
            boolean last = position + slice == total;
            int at = piece.append(Ipv4Header.MIN_LENGTH + slice);
            MemorySegment.copy(payload.segment(), payload.offset() + position, piece.segment(),
                    at + Ipv4Header.MIN_LENGTH, slice);
            int flagsFragment = df | (last ? 0 : Ipv4Header.FLAG_MORE_FRAGMENTS) | (position >>> 3);
            ip.wrap(piece.segment(), at).emit(Ipv4Header.MIN_LENGTH + slice, identification, flagsFragment, ttl,
                    protocol, source, destination);
            piece.setNetworkOffset(at);
            piece.setInterfaceIndex(nif.index());
            position += slice;
            pieces++;
            if (pieces > 1 || !last) {
                counters.increment(IpCounter.FRAG_CREATES);
            }
            Disposition d = link.sendIpv4(nif, nextHop, piece, nowNs);
            if (d != Disposition.HANDLED && d != Disposition.QUEUED) {
                result = d;
            }
        } while (position < total);
        if (pieces > 1) {
            counters.increment(IpCounter.FRAG_OKS);
        }
        payload.release();
        return result;
    }

    // ---------------------------------------------------------------- ICMP errors

    @Override
    public boolean sendIcmpError(int type, int code, PacketBuffer offending, long nowNs) {
        int at = offending.networkOffset();
        int available = offending.end() - at;
        if (at < 0 || available < Ipv4Header.MIN_LENGTH) {
            return false;
        }
        MemorySegment seg = offending.segment();
        Ipv4Header h = quoted.wrap(seg, at);
        int headerLength = h.headerLength();
        int source = h.source();
        int destination = h.destination();
        // RFC 1122 §3.2.2: never about an ICMP error, a broadcast or multicast, a non-first
        // fragment, or a datagram whose source is not a single host.
        if (headerLength < Ipv4Header.MIN_LENGTH || headerLength > available
                || (h.flagsFragment() & Ipv4Header.FRAGMENT_OFFSET_MASK) != 0
                || isBroadcastOrMulticast(offending.interfaceIndex(), destination)
                || source == 0 || source == Ipv4Address.LIMITED_BROADCAST || Ipv4Address.isMulticast(source)
                || Ipv4Address.isLoopback(source)
                || (h.protocol() == Ipv4Header.PROTOCOL_ICMP
                        && (available < headerLength + 1 || !isQuery(seg.get(java.lang.foreign.ValueLayout.JAVA_BYTE,
                                at + headerLength) & 0xFF)))) {
            icmpCounters.increment(IcmpCounter.ERRORS_SUPPRESSED);
            return false;
        }
        if (!takeToken(nowNs)) {
            icmpCounters.increment(IcmpCounter.RATE_LIMITED);
            return false;
        }
        RouteTable.Entry entry = routes.lookupEntry(source);
        NetInterface nif = entry == null ? null : routes.interfaceOf(entry);
        if (nif == null) {
            counters.increment(IpCounter.OUT_NO_ROUTES);
            return false;
        }
        PacketBuffer error = link.allocate(nif);
        if (error == null) {
            counters.increment(IpCounter.OUT_NO_BUFFERS);
            return false;
        }
        int quoteLength = Math.min(headerLength + QUOTED_DATA_BYTES, available);
        if (error.tailroom() < IcmpHeader.LENGTH + quoteLength || error.headroom() < headroom()) {
            error.release();
            counters.increment(IpCounter.OUT_NO_BUFFERS);
            return false;
        }
        int start = error.append(IcmpHeader.LENGTH + quoteLength);
        MemorySegment.copy(seg, at, error.segment(), start + IcmpHeader.LENGTH, quoteLength);
        icmp.wrap(error.segment(), start).emit(type, code, 0).fillChecksum(IcmpHeader.LENGTH + quoteLength);
        icmpCounters.increment(IcmpCounter.OUT_MSGS);
        icmpCounters.increment(IcmpCounter.OUT_ERRORS);
        if (type == IcmpHeader.TYPE_DESTINATION_UNREACHABLE) {
            icmpCounters.increment(IcmpCounter.OUT_DEST_UNREACHS);
        } else if (type == IcmpHeader.TYPE_TIME_EXCEEDED) {
            icmpCounters.increment(IcmpCounter.OUT_TIME_EXCDS);
        }
        // Source: the address the offending datagram was sent to, if it was ours (RFC 1122 §3.2.2).
        int from = destination == nif.ipv4Address() ? destination : 0;
        send(from, source, Ipv4Header.PROTOCOL_ICMP, 0, error, nowNs);
        return true;
    }

    /**
     * ICMP queries (echo, timestamp, information, address mask requests and replies) may cause
     * errors; errors and types we do not know may not (RFC 1122 §3.2.2).
     */
    private static boolean isQuery(int type) {
        return type == IcmpHeader.TYPE_ECHO_REPLY || type == IcmpHeader.TYPE_ECHO_REQUEST || (type >= 13 && type <= 18);
    }

    /** Token bucket: {@code ratePerSecond} tokens a second, bursts up to one second's worth. */
    private boolean takeToken(long nowNs) {
        if (ratePerSecond == 0) {
            return false;
        }
        long elapsedNs = nowNs - bucketLastNs;
        bucketLastNs = nowNs;
        if (elapsedNs > 0) {
            // Capped so the product cannot overflow: a full refill takes at most one second.
            long refill = Math.min(elapsedNs, 1_000_000_000L) * ratePerSecond;
            bucketTokens = Math.min(bucketCapacity, bucketTokens + refill);
        }
        if (bucketTokens >= 1_000_000_000L) {
            bucketTokens -= 1_000_000_000L;
            return true;
        }
        return false;
    }

    // ---------------------------------------------------------------- ping

    @Override
    public CompletableFuture<Result> ping(int destination, Options options, Listener listener) {
        if (routes.lookupEntry(destination) == null) {
            return CompletableFuture.failedFuture(new IllegalStateException(
                    "no route to " + Ipv4Address.format(destination) + "; add an address or a route first"));
        }
        return pings.start(destination, options, listener);
    }

    @Override
    public PacketBuffer allocate(int destination) {
        RouteTable.Entry entry = routes.lookupEntry(destination);
        NetInterface nif = entry == null ? null : routes.interfaceOf(entry);
        return nif == null ? null : link.allocate(nif);
    }

    @Override
    public int maxSegmentedBytes(int destination) {
        RouteTable.Entry entry = routes.lookupEntry(destination);
        return maxSegmentedBytes(entry == null ? null : routes.interfaceOf(entry));
    }

    /** The TSO limit of the interface's device, less the Ethernet and IPv4 headers; 0 without TSO. */
    private static int maxSegmentedBytes(NetInterface nif) {
        NetDevice device = nif == null ? null : nif.device();
        if (device == null || !device.capabilities().has(DeviceCapabilities.OFFLOAD_TSO)) {
            return 0;
        }
        int frame = device.capabilities().maxSegmentedFrameBytes() - LinkLayer.ETHERNET_HEADER_BYTES;
        return Math.min(frame, Ipv4Header.MAX_TOTAL_LENGTH) - Ipv4Header.MIN_LENGTH;
    }

    @Override
    public PacketBuffer allocateSegmented(int destination) {
        if (maxSegmentedBytes(destination) == 0) {
            return null;
        }
        PacketPool pool = segmentPool;
        if (pool == null) {
            pool = PacketPool.create("ip-segmentation",
                    PacketMemory.offHeap(Arena.ofAuto(), (long) SEGMENT_BUFFERS * LARGE_BUFFER_BYTES),
                    SEGMENT_BUFFERS, LARGE_BUFFER_BYTES, LARGE_BUFFER_HEADROOM);
            segmentPool = pool;
        }
        return pool.allocate();
    }

    /** A buffer for an ICMP message of {@code icmpBytes}: a device buffer if it fits, else a large one. */
    PacketBuffer allocateForIcmp(int destination, int icmpBytes) {
        RouteTable.Entry entry = routes.lookupEntry(destination);
        NetInterface nif = entry == null ? null : routes.interfaceOf(entry);
        PacketBuffer buffer = nif == null ? null : link.allocate(nif);
        if (buffer != null && (buffer.tailroom() < icmpBytes || buffer.headroom() < headroom())) {
            buffer.release();
            buffer = null;
        }
        if (buffer == null) {
            buffer = largePool.allocate();
        }
        return buffer;
    }

    // ================================================================ lanes

    private volatile NetDevice laneDevice;
    private volatile int laneQueue = -1;
    /** The network layers of every lane, by queue (this one included), or null with one shard. */
    private volatile Ipv4Layer[] lanes;
    /** OSGi: the lanes bound so far, by lane; {@link #lanes} is rebuilt from it. */
    private final java.util.TreeMap<Integer, Ipv4Layer> peers = new java.util.TreeMap<>();
    /** Errors forwarded in the current second, and that second: at most {@link #LANE_FORWARDS_PER_SECOND}. */
    private int laneForwards;
    private long laneForwardSecond = Long.MIN_VALUE;
    private static final int LANE_FORWARDS_PER_SECOND = 1_000;

    /**
     * The network layers of every lane of a multi-shard stack, indexed by queue: ICMP errors about
     * a TCP flow of another lane (they arrive at lane 0, as all ICMP does) are handed to that lane.
     */
    public void setLanes(List<Ipv4Layer> all) {
        this.lanes = all.toArray(new Ipv4Layer[0]);
    }

    /** OSGi: reads this instance's lane from its configuration ({@link Lane}). */
    @Activate
    void activate(Map<String, Object> properties) {
        if (Lane.isLane(properties)) {
            this.laneQueue = Lane.of(properties);
        }
    }

    /**
     * OSGi: the network layers of the stack's lanes (this one included), each bound with its
     * {@value Lane#LANE_PROPERTY} property.
     */
    @Reference(name = "peers", service = NetworkLayer.class, cardinality = ReferenceCardinality.MULTIPLE,
            policy = ReferencePolicy.DYNAMIC, target = "(" + Lane.LANE_PROPERTY + "=*)", unbind = "removePeer")
    void addPeer(NetworkLayer peer, Map<String, Object> properties) {
        if (peer instanceof Ipv4Layer layer) {
            synchronized (peers) {
                peers.put(Lane.of(properties), layer);
                rebuildPeers();
            }
        }
    }

    void removePeer(NetworkLayer peer, Map<String, Object> properties) {
        synchronized (peers) {
            if (peers.remove(Lane.of(properties), peer)) {
                rebuildPeers();
            }
        }
    }

    private void rebuildPeers() {
        int size = peers.isEmpty() ? 0 : peers.lastKey() + 1;
        Ipv4Layer[] all = new Ipv4Layer[size];
        peers.forEach((lane, layer) -> {
            if (lane >= 0) {
                all[lane] = layer;
            }
        });
        lanes = size == 0 ? null : all;
    }

    /** The lane this layer serves, or -1 with one shard. */
    public int lane() {
        return laneQueue;
    }

    /**
     * The device that says where a flow with {@code remoteAddress} lands: the one given with
     * {@link #setLane} (embedded), else, for a lane under OSGi, the device of the interface routing
     * to it (a queue of the whole device answers for the whole device); null with one shard.
     */
    private NetDevice steeringDevice(int remoteAddress) {
        NetDevice device = laneDevice;
        if (device != null || laneQueue < 0) {
            return device;
        }
        RouteTable.Entry entry = routes.lookupEntry(remoteAddress);
        NetInterface nif = entry == null ? null : routes.interfaceOf(entry);
        return nif == null ? null : nif.device();
    }

    /**
     * An ICMP error quoting a TCP segment of a flow another lane owns goes to that lane's shard
     * (a copy of the ICMP message, at most {@link #LANE_FORWARDS_PER_SECOND} a second; beyond, they
     * are dropped and counted as rate-limited). Returns whether it was taken care of here.
     */
    private boolean forwardedToItsLane(PacketBuffer packet, Ipv4Header q, int type, int code, long nowNs) {
        Ipv4Layer[] all = lanes;
        if (all == null) {
            return false;
        }
        NetDevice device = steeringDevice(q.destination());
        if (device == null) {
            return false;
        }
        long ports = packet.offset() + IcmpHeader.LENGTH + q.headerLength();
        MemorySegment seg = packet.segment();
        int localPort = seg.get(ValueLayout.JAVA_SHORT_UNALIGNED.withOrder(ByteOrder.BIG_ENDIAN), ports) & 0xFFFF;
        int remotePort = seg.get(ValueLayout.JAVA_SHORT_UNALIGNED.withOrder(ByteOrder.BIG_ENDIAN), ports + 2) & 0xFFFF;
        int owner = device.rxQueueOf(q.destination(), q.source(), remotePort, localPort);
        if (owner < 0 || owner == laneQueue || owner >= all.length || all[owner] == null) {
            return false;
        }
        long second = nowNs / 1_000_000_000L;
        if (second != laneForwardSecond) {
            laneForwardSecond = second;
            laneForwards = 0;
        }
        if (++laneForwards > LANE_FORWARDS_PER_SECOND) {
            icmpCounters.increment(IcmpCounter.RATE_LIMITED);
            return true;
        }
        byte[] message = new byte[packet.length()]; // an error to forward: rare, and bounded above
        MemorySegment.copy(seg, ValueLayout.JAVA_BYTE, packet.offset(), message, 0, message.length);
        Ipv4Layer target = all[owner];
        icmpCounters.increment(IcmpCounter.ERRORS_TO_OTHER_LANE);
        if (!target.shard.execute(() -> target.errorFromOtherLane(type, code, message))) {
            icmpCounters.increment(IcmpCounter.RATE_LIMITED);
        }
        return true;
    }

    /** This lane's shard: an ICMP error (from its header on) another lane received for a flow of this one. */
    private void errorFromOtherLane(int type, int code, byte[] message) {
        PacketBuffer buffer = largePool.allocate();
        if (buffer == null) {
            icmpCounters.increment(IcmpCounter.IN_ERRORS);
            return;
        }
        int at = buffer.append(message.length);
        MemorySegment.copy(message, 0, buffer.segment(), ValueLayout.JAVA_BYTE, at, message.length);
        passErrorUp(buffer, type, code, shard.clock().nanoTime());
    }

    /**
     * Makes this layer one lane of a multi-shard stack: it serves queue {@code queue} of
     * {@code device}, so {@link #receivesFlow} asks the device where a flow lands. Null: one shard.
     */
    public void setLane(NetDevice device, int queue) {
        this.laneQueue = queue;
        this.laneDevice = device;
    }

    @Override
    public boolean receivesFlow(int remoteAddress, int localAddress, int remotePort, int localPort) {
        NetDevice device = steeringDevice(remoteAddress);
        if (device == null) {
            return true;
        }
        int queue = device.rxQueueOf(remoteAddress, localAddress, remotePort, localPort);
        return queue < 0 || queue == laneQueue;
    }
}
