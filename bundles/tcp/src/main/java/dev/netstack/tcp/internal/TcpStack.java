package dev.netstack.tcp.internal;

import dev.netstack.ip.NetworkLayer;
import dev.netstack.ip.ProtocolHandler;
import dev.netstack.ip.wire.InternetChecksum;
import dev.netstack.ip.wire.Ipv4Header;
import dev.netstack.nic.Disposition;
import dev.netstack.nic.PacketBuffer;
import dev.netstack.runtime.Counters;
import dev.netstack.runtime.Lane;
import dev.netstack.runtime.Shard;
import dev.netstack.runtime.TimerWheel;
import dev.netstack.tcp.CongestionControlFactory;
import dev.netstack.tcp.TcpConnection;
import dev.netstack.tcp.TcpConnectionInfo;
import dev.netstack.tcp.TcpError;
import dev.netstack.tcp.TcpException;
import dev.netstack.tcp.TcpHandler;
import dev.netstack.tcp.TcpLayer;
import dev.netstack.tcp.TcpListener;
import dev.netstack.tcp.TcpListenerHandler;
import dev.netstack.tcp.TcpOptions;
import dev.netstack.tcp.TcpPortReservation;
import dev.netstack.tcp.TcpState;
import dev.netstack.tcp.wire.TcpHeader;
import dev.netstack.tcp.wire.TcpOptionsView;
import java.lang.System.Logger.Level;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.nio.ByteOrder;
import java.security.SecureRandom;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.SplittableRandom;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.TimeUnit;
import org.osgi.service.component.annotations.Activate;
import org.osgi.service.component.annotations.Component;
import org.osgi.service.component.annotations.Deactivate;
import org.osgi.service.component.annotations.Reference;
import org.osgi.service.component.annotations.ReferenceCardinality;
import org.osgi.service.component.annotations.ReferencePolicy;

/**
 * TCP for a host: demultiplexing, listeners, the CLOSED and LISTEN states, SYN cookies, initial
 * sequence numbers, segment emission, ICMP errors; per-connection processing is in {@link Tcb}.
 *
 * <p>Read first: RFC 9293 §3.10 (event processing; §3.10.7.1 CLOSED, §3.10.7.2 LISTEN), RFC 6528
 * (ISN), RFC 4987 §3.6 (SYN cookies), RFC 6191 (reusing TIME_WAIT with timestamps), RFC 5961 §7
 * (challenge ACK rate), RFC 1122 §4.2.3.9 and RFC 5927 (ICMP errors), RFC 1191 (PMTU).
 *
 * <pre>
 *  ip ──receive(packet)──▶ validate (length, offset, checksum, options)
 *                           │
 *          ConnectionTable.find(4-tuple) ──▶ Tcb.arrives / synSentArrives ──▶ handler callbacks
 *                           │ none
 *          listener(port) ──▶ SYN: Tcb in SYN_RECEIVED, or a SYN cookie when the SYN queue is full
 *                           │ none
 *          RST (RFC 9293 §3.10.7.1)
 * </pre>
 *
 * <p><b>Threads.</b> Everything but {@link #connections()}, the congestion control bindings and
 * {@link #close()} runs on the shard thread; the data path allocates nothing.
 *
 * <p><b>Memory.</b> Each connection has an off-heap send ring and receive ring (sizes from
 * configuration or {@code TcpOptions}); out-of-order data is stored in the receive ring at its
 * place, so the window bounds its memory, and at most {@code ooo.max.ranges} ranges are tracked.
 * Rings of the default sizes are pooled, and so are connection blocks: a {@link Tcb} whose
 * connection ended goes back to a per-stack pool ({@link #reclaim}) with its SACK scoreboard,
 * out-of-order ranges, timers and congestion control state, so that a short connection allocates
 * only the {@link ConnectionHandle} the application holds (stale handles are detached first).
 *
 * <p><b>Not implemented:</b> urgent data (URG is ignored, data delivered inline, RFC 6093), ECN,
 * TCP Fast Open, D-SACK generation, RACK/TLP and F-RTO, RTT measurement from timestamps for the
 * RTO (one timed segment per RTT is used; timestamps serve PAWS and receive-window tuning), the
 * RFC 6298 §5.7 3-second RTO after a retransmitted SYN, PLPMTUD, TCP-AO/MD5, IPv6.
 *
 * <p><b>Shards.</b> One instance serves one shard. A stack of several shards runs one per lane;
 * {@link NetworkLayer#receivesFlow} tells which flows are this lane's: active opens pick ports
 * whose segments come back here, and a segment of another lane's flow is dropped, not answered.
 */
@Component(service = {ProtocolHandler.class, TcpLayer.class},
        property = ProtocolHandler.IP_PROTOCOL_PROPERTY + "=6", configurationPid = {"netstack.tcp", Lane.PID}, immediate = true)
public final class TcpStack implements ProtocolHandler, TcpLayer {

    private static final System.Logger LOG = System.getLogger(TcpStack.class.getName());
    private static final ValueLayout.OfShort SHORT_BE = ValueLayout.JAVA_SHORT_UNALIGNED.withOrder(ByteOrder.BIG_ENDIAN);
    private static final int EPHEMERAL_FIRST = 32_768;
    private static final int EPHEMERAL_LAST = 60_999;
    /** RFC 4987 §3.6 cookie MSS values (3 bits). */
    private static final int[] COOKIE_MSS = {536, 1024, 1220, 1360, 1440, 1460, 4312, 8960};
    private static final long COOKIE_PERIOD_NS = 64_000_000_000L;
    private static final int COOKIE_INVALID = 0;
    private static final int COOKIE_VALID = 1;
    private static final int COOKIE_UNVERIFIABLE = 2;

    final Shard shard;
    final NetworkLayer network;
    final TimerWheel timers;
    final Counters counters = Counters.of("tcp", TcpCounter.class);
    final SplittableRandom random;
    /** RFC 6056 §3.3.4 "table": per-bucket counters of ephemeral port selection (a power of two long). */
    private final int[] portCounters = new int[256];
    private final SipHash isnHash;
    private final SipHash cookieHash;
    private final ConnectionTable table;
    private final Listener[] listeners = new Listener[65_536];
    /** Ports held by {@link #reserve} (bind before listen/connect), chained per port. */
    private final PortReservation[] reservations = new PortReservation[65_536];
    private final Ipv4Header ip = new Ipv4Header();
    private final TcpHeader in = new TcpHeader();
    private final TcpHeader out = new TcpHeader();
    private final SegmentView segment = new SegmentView();
    private final Map<String, CongestionControlFactory> factories = new ConcurrentHashMap<>();
    private final ArrayDeque<ByteRing> ringPool = new ArrayDeque<>();
    /** Most Tcbs kept for reuse (each a few KiB of heap), and at most as many waiting for {@link #reclaim}. */
    static final int TCB_POOL_SIZE = 1024;
    private final Tcb[] tcbPool = new Tcb[TCB_POOL_SIZE];
    private int tcbPoolSize;
    private final Tcb[] ended = new Tcb[TCB_POOL_SIZE];
    private int endedCount;
    /** True while a segment is processed (nested receives and timers do not reclaim). */
    private boolean receiving;
    private Tcb cookieScratch;
    private final List<Listener> listenerList = new ArrayList<>();

    // configuration
    final int sendBufferBytes;
    final int receiveBufferBytes;
    final int initialWindowBytes;
    final int backlog;
    final int synQueue;
    final int maxConnections;
    final long mslNs;
    final long finWait2TimeoutNs;
    final int keepIdleMs;
    final int keepIntervalMs;
    final int keepCount;
    final long delayedAckNs;
    final long rtoMinNs;
    final long rtoMaxNs;
    final long rtoInitialNs;
    final int synRetries;
    final int maxRetries;
    final String defaultCc;
    final int syncookies; // 0 never, 1 auto, 2 always
    final int oooMaxRanges;
    final boolean windowScaling;
    final boolean timestamps;
    final boolean sack;
    private final long challengePerSecond;

    private long challengeTokens;
    private long challengeLastNs;
    private int cookieTsOffset;
    private volatile boolean stopped;

    @Activate
    @jakarta.inject.Inject
    public TcpStack(TcpConfig config, @Reference Shard shard, @Reference NetworkLayer network) {
        this(config, shard, network, new SecureRandom().nextLong());
    }

    /** For deterministic simulation: every secret and random choice derives from {@code seed}. */
    public TcpStack(TcpConfig config, Shard shard, NetworkLayer network, long seed) {
        this.shard = shard;
        this.network = network;
        this.timers = shard.timers();
        this.random = new SplittableRandom(seed);
        this.isnHash = new SipHash(random.nextLong(), random.nextLong());
        this.cookieHash = new SipHash(random.nextLong(), random.nextLong());
        this.cookieTsOffset = random.nextInt();
        for (int i = 0; i < portCounters.length; i++) {
            portCounters[i] = random.nextInt(); // RFC 6056 §3.3.4: table[i] = random()
        }
        this.sendBufferBytes = (int) checked("send.buffer.bytes", config.send_buffer_bytes(), 4096, 1 << 30, 256 << 10);
        this.receiveBufferBytes = (int) checked("receive.buffer.bytes", config.receive_buffer_bytes(), 4096, 1 << 30,
                256 << 10);
        this.initialWindowBytes = (int) checked("initial.receive.window.bytes", config.initial_receive_window_bytes(),
                1024, 1 << 30, 64 << 10);
        this.backlog = (int) checked("backlog", config.backlog(), 1, 65_535, 128);
        this.synQueue = (int) checked("syn.queue", config.syn_queue(), 1, 1 << 20, 256);
        this.maxConnections = (int) checked("max.connections", config.max_connections(), 1, 1 << 22, 16_384);
        this.mslNs = checked("msl.ms", config.msl_ms(), 1, 600_000, 30_000) * 1_000_000L;
        this.finWait2TimeoutNs = checked("fin.wait.2.timeout.ms", config.fin_wait_2_timeout_ms(), 1, 3_600_000, 60_000)
                * 1_000_000L;
        this.keepIdleMs = (int) checked("keepalive.idle.ms", config.keepalive_idle_ms(), 1, Integer.MAX_VALUE, 7_200_000);
        this.keepIntervalMs = (int) checked("keepalive.interval.ms", config.keepalive_interval_ms(), 1,
                Integer.MAX_VALUE, 75_000);
        this.keepCount = (int) checked("keepalive.count", config.keepalive_count(), 1, 1000, 9);
        this.delayedAckNs = checked("delayed.ack.ms", config.delayed_ack_ms(), 1, 499, 40) * 1_000_000L;
        this.rtoMinNs = checked("rto.min.ms", config.rto_min_ms(), 1, 60_000, 200) * 1_000_000L;
        this.rtoMaxNs = checked("rto.max.ms", config.rto_max_ms(), 1000, 3_600_000, 120_000) * 1_000_000L;
        this.rtoInitialNs = checked("rto.initial.ms", config.rto_initial_ms(), 1, 60_000, 1000) * 1_000_000L;
        this.synRetries = (int) checked("syn.retries", config.syn_retries(), 1, 100, 6);
        this.maxRetries = (int) checked("retries", config.retries(), 1, 100, 15);
        this.defaultCc = config.congestion_control() == null ? "cubic" : config.congestion_control().trim();
        this.syncookies = switch (config.syncookies() == null ? "auto" : config.syncookies().trim()) {
            case "never" -> 0;
            case "always" -> 2;
            case "auto" -> 1;
            default -> {
                LOG.log(Level.ERROR, "netstack.tcp syncookies = " + config.syncookies()
                        + " is not one of auto, always, never (using auto)");
                yield 1;
            }
        };
        this.challengePerSecond = checked("challenge.ack.per.second", config.challenge_ack_per_second(), 1,
                1_000_000, 1000);
        this.oooMaxRanges = (int) checked("ooo.max.ranges", config.ooo_max_ranges(), 4, 1024, 32);
        this.windowScaling = config.window_scaling();
        this.timestamps = config.timestamps();
        this.sack = config.sack();
        this.table = new ConnectionTable(maxConnections);
        this.challengeTokens = challengePerSecond;
        this.challengeLastNs = shard.clock().nanoTime();
    }

    private static long checked(String name, long value, long min, long max, long fallback) {
        if (value < min || value > max) {
            LOG.log(Level.ERROR, "netstack.tcp " + name + " = " + value + " is out of range; set it between " + min
                    + " and " + max + " (using " + fallback + ")");
            return fallback;
        }
        return value;
    }

    /** The counters of scope {@code tcp} (RFC 4022 names, drop reasons). */
    public Counters counters() {
        return counters;
    }

    long nowNs() {
        return shard.clock().nanoTime();
    }

    // ================================================================== congestion control

    @Reference(service = CongestionControlFactory.class, cardinality = ReferenceCardinality.MULTIPLE,
            policy = ReferencePolicy.DYNAMIC, unbind = "unbindCongestionControl")
    void bindCongestionControl(CongestionControlFactory factory, Map<String, Object> properties) {
        Object name = properties.get(CongestionControlFactory.NAME_PROPERTY);
        factories.put(name != null ? name.toString() : factory.name(), factory);
    }

    void unbindCongestionControl(CongestionControlFactory factory, Map<String, Object> properties) {
        Object name = properties.get(CongestionControlFactory.NAME_PROPERTY);
        factories.remove(name != null ? name.toString() : factory.name(), factory);
    }

    /** Installs an algorithm (embedded mode and tests); new connections may use it at once. */
    public void addCongestionControl(CongestionControlFactory factory) {
        factories.put(factory.name(), factory);
    }

    public void removeCongestionControl(String name) {
        factories.remove(name);
    }

    boolean hasCongestionControl(String name) {
        return name != null && (factories.containsKey(name) || BuiltinReno.NAME.equals(name));
    }

    /** The factory of the named algorithm, else of the configured default, else any installed one, else built-in Reno. */
    CongestionControlFactory congestionControlFactory(String name) {
        CongestionControlFactory factory = name == null ? null : factories.get(name);
        if (factory == null && BuiltinReno.NAME.equals(name)) {
            factory = BuiltinReno.FACTORY;
        }
        if (factory == null) {
            factory = factories.get(defaultCc);
        }
        if (factory == null && !factories.isEmpty()) { // (no iterator when none is installed)
            for (CongestionControlFactory any : factories.values()) {
                factory = any;
                break;
            }
        }
        if (factory == null) {
            factory = BuiltinReno.FACTORY;
        }
        return factory;
    }

    @Override
    public List<String> congestionControls() {
        List<String> names = new ArrayList<>(factories.keySet());
        if (names.isEmpty()) {
            names.add(BuiltinReno.NAME);
        }
        return names;
    }

    // ================================================================== buffers

    ByteRing ring(int bytes) {
        if (bytes == sendBufferBytes || bytes == receiveBufferBytes) {
            for (int i = ringPool.size(); i > 0; i--) {
                ByteRing ring = ringPool.pollFirst();
                if (ring.capacity() == bytes) {
                    ring.clear();
                    return ring;
                }
                ringPool.addLast(ring);
            }
        }
        return new ByteRing(bytes);
    }

    void recycle(ByteRing ring) {
        if (ring != null && ringPool.size() < 256
                && (ring.capacity() == sendBufferBytes || ring.capacity() == receiveBufferBytes)) {
            ring.clear();
            ringPool.addFirst(ring);
        }
    }

    // ================================================================== ISN and cookies

    /** RFC 6528 §3: ISN = M + F(localip, localport, remoteip, remoteport, secretkey), M a 4 µs clock. */
    int isn(int localAddress, int localPort, int remoteAddress, int remotePort, long nowNs) {
        long f = isnHash.hash(((long) localAddress << 32) | (remoteAddress & 0xFFFF_FFFFL),
                ((long) localPort << 16) | remotePort, 0);
        return (int) (nowNs / 4000) + (int) f;
    }

    /**
     * The timestamp clock offset of a connection (RFC 7323 §5.4, §7.1): the same keyed function of
     * the 4-tuple as the ISN but with the third word set, so it reveals nothing about the ISN and
     * stays the same for every incarnation of the 4-tuple (timestamps of a new connection continue
     * the old one's clock, as PAWS across TIME_WAIT needs).
     */
    int timestampOffset(int localAddress, int localPort, int remoteAddress, int remotePort) {
        return (int) isnHash.hash(((long) localAddress << 32) | (remoteAddress & 0xFFFF_FFFFL),
                ((long) localPort << 16) | remotePort, 1);
    }

    private int cookieHash(int local, int localPort, int remote, int remotePort, int irs, long counter) {
        return (int) cookieHash.hash(((long) local << 32) | (remote & 0xFFFF_FFFFL),
                ((long) localPort << 16) | remotePort, ((long) irs << 32) | counter) & 0xFF_FFFF;
    }

    // ================================================================== receive

    @Override
    public Disposition receive(PacketBuffer packet, long nowNs) {
        boolean outermost = !receiving;
        receiving = true;
        try {
            return process(packet, nowNs);
        } finally {
            segment.packet = null; // a zero-copy receive took its own reference
            packet.release();
            if (outermost) {
                receiving = false;
                if (endedCount > 0) {
                    reclaim(); // no Tcb method is running any more
                }
            }
        }
    }

    private Disposition process(PacketBuffer packet, long nowNs) {
        counters.increment(TcpCounter.IN_SEGS);
        MemorySegment bytes = packet.segment();
        int length = packet.length();
        int offset = packet.offset();
        if (packet.networkOffset() < 0) {
            counters.increment(TcpCounter.IN_ERRS);
            return Disposition.MALFORMED;
        }
        ip.wrap(bytes, packet.networkOffset());
        int source = ip.source();
        int destination = ip.destination();
        TcpHeader tcp = in.wrap(bytes, offset);
        int check = tcp.checkLength(length);
        if (check != TcpHeader.OK) {
            counters.increment(TcpCounter.IN_ERRS);
            counters.increment(check == TcpHeader.TRUNCATED ? TcpCounter.DROP_TRUNCATED : TcpCounter.DROP_BAD_OFFSET);
            return Disposition.MALFORMED;
        }
        if (!packet.hasFlag(PacketBuffer.FLAG_CHECKSUM_VERIFIED) && !tcp.verifyChecksum(source, destination, length)) {
            counters.increment(TcpCounter.IN_ERRS);
            counters.increment(TcpCounter.DROP_BAD_CHECKSUM);
            return Disposition.MALFORMED;
        }
        int headerLength = tcp.headerLength();
        SegmentView s = segment;
        if (!s.options.parse(bytes, tcp.optionsOffset(), headerLength - TcpHeader.MIN_LENGTH)) {
            counters.increment(TcpCounter.IN_ERRS);
            counters.increment(TcpCounter.DROP_BAD_OPTIONS);
            return Disposition.MALFORMED;
        }
        s.packet = packet;
        s.segment = bytes;
        s.source = source;
        s.destination = destination;
        s.sourcePort = tcp.sourcePort();
        s.destinationPort = tcp.destinationPort();
        s.seq = tcp.sequence();
        s.ack = tcp.acknowledgment();
        s.flags = tcp.flags();
        s.window = tcp.window();
        s.dataOffset = offset + headerLength;
        s.dataLength = length - headerLength;
        if (s.sourcePort == 0 || s.destinationPort == 0) {
            counters.increment(TcpCounter.IN_ERRS);
            return Disposition.MALFORMED;
        }
        if (stopped) {
            return Disposition.PROTOCOL_UNREACHABLE;
        }
        Tcb tcb = table.find(destination, s.destinationPort, source, s.sourcePort);
        if (tcb != null) {
            if (tcb.state == TcpState.TIME_WAIT && (s.flags & (TcpHeader.SYN | TcpHeader.ACK | TcpHeader.RST))
                    == TcpHeader.SYN) {
                if (timeWaitReuse(tcb, s, nowNs)) {
                    return Disposition.HANDLED;
                }
            }
            if (tcb.state == TcpState.SYN_RECEIVED && cookieSupersedes(tcb, s, nowNs)) {
                return Disposition.HANDLED;
            }
            if (tcb.state == TcpState.SYN_SENT) {
                tcb.synSentArrives(s, nowNs);
            } else {
                tcb.arrives(s, nowNs);
            }
            if (!tcb.closedNotified) {
                tcb.deliverEvents();
            }
            return Disposition.HANDLED;
        }
        if (!network.receivesFlow(source, destination, s.sourcePort, s.destinationPort)) {
            // With several shards: a segment of a flow that belongs to another shard's lane (a
            // reassembled fragment, which devices steer to queue 0). Answering it (a RST, or a new
            // connection from a SYN) would break that lane's connection: drop it.
            counters.increment(TcpCounter.DROP_OTHER_SHARD);
            return Disposition.DROPPED;
        }
        Listener listener = findListener(destination, s.destinationPort);
        if (listener != null) {
            listenArrives(listener, s, nowNs);
            return Disposition.HANDLED;
        }
        counters.increment(TcpCounter.DROP_NO_LISTENER);
        closedArrives(s, nowNs);
        return Disposition.PORT_UNREACHABLE;
    }

    /** RFC 9293 §3.10.7.1: no connection: answer everything but a RST with a RST. */
    private void closedArrives(SegmentView s, long nowNs) {
        if ((s.flags & TcpHeader.RST) != 0) {
            return;
        }
        if ((s.flags & TcpHeader.ACK) == 0) {
            int segLen = s.dataLength + ((s.flags & TcpHeader.SYN) != 0 ? 1 : 0) + ((s.flags & TcpHeader.FIN) != 0 ? 1 : 0);
            sendReset(s.source, s.destination, s.destinationPort, s.sourcePort, 0, s.seq + segLen, true, nowNs);
        } else {
            sendReset(s.source, s.destination, s.destinationPort, s.sourcePort, s.ack, 0, false, nowNs);
        }
    }

    /**
     * RFC 6191 §2: a SYN for a connection in TIME_WAIT starts a new incarnation if its timestamp is
     * newer than TS.Recent, or equal to it with the sequence number above RCV.NXT (or, without
     * timestamps, its sequence number is above RCV.NXT, RFC 9293 §3.10.7.4 / RFC 1122 §4.2.2.13).
     * Otherwise the TIME_WAIT connection handles it (it ACKs).
     */
    private boolean timeWaitReuse(Tcb old, SegmentView s, long nowNs) {
        boolean newer;
        if (old.tsOk && s.options.hasTimestamp) {
            // RFC 6191 §2 first and second bullets: a newer timestamp, or (timestamp clocks tick in
            // milliseconds; a 4-tuple may come back within one tick) the same one and a higher sequence
            newer = Tcb.lt(old.tsRecent, s.options.tsVal)
                    || old.tsRecent == s.options.tsVal && Tcb.lt(old.rcvNxt, s.seq);
        } else {
            newer = Tcb.lt(old.rcvNxt, s.seq);
        }
        Listener listener = findListener(s.destination, s.destinationPort);
        if (!newer || listener == null) {
            return false;
        }
        int minimumIss = old.sndMax + 128_000; // the new ISN lies above the old sequence space
        old.terminate(TcpError.NONE, nowNs);
        counters.increment(TcpCounter.TIME_WAIT_REUSED);
        synToListener(listener, s, nowNs, minimumIss);
        return true;
    }

    /** RFC 9293 §3.10.7.2: LISTEN. */
    private void listenArrives(Listener listener, SegmentView s, long nowNs) {
        int flags = s.flags;
        if ((flags & TcpHeader.RST) != 0) {
            return; // first: an incoming RST is ignored
        }
        if ((flags & TcpHeader.ACK) != 0) {
            // second: an ACK here is bad, unless it returns one of our SYN cookies (RFC 4987 §3.6)
            if ((flags & TcpHeader.SYN) == 0 && syncookies != 0) {
                int cookie = checkCookie(listener, s, nowNs);
                if (cookie == COOKIE_VALID) {
                    cookieAck(listener, s, nowNs);
                    return;
                }
                counters.increment(TcpCounter.DROP_BAD_COOKIE);
                if (cookie == COOKIE_UNVERIFIABLE) {
                    // Not the peer's first segment after our cookie SYN,ACK (those were lost), so its
                    // ISN is unknown: drop it and let the peer retransmit its first segment. A RST
                    // would hit the peer's connection exactly at RCV.NXT and kill it.
                    return;
                }
            }
            sendReset(s.source, s.destination, s.destinationPort, s.sourcePort, s.ack, 0, false, nowNs);
            return;
        }
        if ((flags & TcpHeader.SYN) == 0) {
            return; // fourth "other": drop
        }
        boolean queueFull = listener.synCount >= synQueue || listener.acceptQueue.size() >= listener.backlog;
        if (syncookies == 2 || (queueFull && syncookies == 1)) {
            listener.cookiesSent = true;
            listener.lastCookieNs = nowNs;
            sendCookie(s, nowNs);
            return;
        }
        if (queueFull) {
            counters.increment(TcpCounter.DROP_SYN_QUEUE_FULL);
            return;
        }
        synToListener(listener, s, nowNs, 0);
    }

    /** A SYN at a listener: a new TCB in SYN_RECEIVED, SYN,ACK out (RFC 9293 §3.10.7.2 "third"). */
    private Tcb synToListener(Listener listener, SegmentView s, long nowNs, int minimumIss) {
        if (table.size() >= maxConnections) {
            counters.increment(TcpCounter.DROP_CONNECTION_LIMIT);
            return null;
        }
        Tcb tcb = newTcb(s.destination, s.destinationPort, s.source, s.sourcePort, listener.options);
        tcb.passive = true;
        tcb.listener = listener;
        tcb.init(bufferSize(listener.options.sendBufferBytes(), sendBufferBytes),
                bufferSize(listener.options.receiveBufferBytes(), receiveBufferBytes), nowNs);
        tcb.iss = isn(s.destination, s.destinationPort, s.source, s.sourcePort, nowNs);
        if (minimumIss != 0 && Tcb.lt(tcb.iss, minimumIss)) {
            tcb.iss = minimumIss;
        }
        tcb.sndUna = tcb.iss;
        tcb.sndNxt = tcb.iss;
        tcb.sndMax = tcb.iss;
        tcb.sndBase = tcb.iss + 1;
        tcb.irs = s.seq;
        tcb.rcvNxt = s.seq + 1;
        tcb.rcvAdvRight = tcb.rcvNxt;
        tcb.lastAckSent = tcb.rcvNxt;
        tcb.wsOk = windowScaling;
        tcb.tsOk = timestamps;
        tcb.sackOk = sack;
        tcb.applySynOptions(s, nowNs);
        tcb.sndWnd = s.window;
        tcb.maxSndWnd = s.window;
        tcb.sndWl1 = s.seq;
        tcb.sndWl2 = 0;
        if (!table.add(tcb)) {
            counters.increment(TcpCounter.DROP_CONNECTION_LIMIT);
            return null;
        }
        tcb.inTable = true;
        listener.synCount++;
        tcb.counted = true;
        tcb.setState(TcpState.SYN_RECEIVED);
        tcb.retries = 0;
        tcb.sendSynAck(nowNs);
        return tcb;
    }

    private static int bufferSize(int requested, int fallback) {
        return requested > 0 ? Math.max(1024, requested) : fallback;
    }

    /**
     * A connection block for a new connection: from the pool when one is there (see
     * {@link ConnectionHandle} for why an application never sees it reused), with a new handle, or
     * the handle of the block's last connection if its application let it go
     * ({@code TcpOptions.handleReuse}).
     */
    Tcb newTcb(int local, int localPort, int remote, int remotePort, TcpOptions options) {
        Tcb tcb;
        if (tcbPoolSize > 0) {
            tcb = tcbPool[--tcbPoolSize];
            tcbPool[tcbPoolSize] = null;
            tcb.handle = tcb.spareHandle != null ? tcb.spareHandle : new ConnectionHandle(tcb);
            tcb.spareHandle = null;
        } else {
            tcb = new Tcb(this);
        }
        configure(tcb, local, localPort, remote, remotePort, options);
        return tcb;
    }

    private void configure(Tcb tcb, int local, int localPort, int remote, int remotePort, TcpOptions options) {
        tcb.localAddress = local;
        tcb.localPort = localPort;
        tcb.remoteAddress = remote;
        tcb.remotePort = remotePort;
        tcb.noDelay = options.noDelay();
        tcb.keepAlive = options.keepAlive();
        tcb.keepIdleNs = (options.keepAliveIdleMs() > 0 ? options.keepAliveIdleMs() : keepIdleMs) * 1_000_000L;
        tcb.keepIntervalNs = (options.keepAliveIntervalMs() > 0 ? options.keepAliveIntervalMs() : keepIntervalMs)
                * 1_000_000L;
        tcb.keepCount = options.keepAliveCount() > 0 ? options.keepAliveCount() : keepCount;
        tcb.lingerMs = options.lingerMs();
        tcb.ccName = options.congestionControl();
        tcb.handleReuse = options.handleReuse();
    }

    /** Called by {@link Tcb#terminate}: the Tcb may be pooled once the current call chain returned. */
    void ended(Tcb tcb) {
        if (endedCount < ended.length) {
            ended[endedCount++] = tcb;
        }
    }

    /**
     * Pools the Tcbs of connections that ended since the last call: detaches their handles, resets
     * them and keeps up to {@link #TCB_POOL_SIZE}. Runs only where no Tcb method is on the stack (at
     * the end of an outermost {@link #receive} and of a connection timer's expiry), so no code
     * still working on an ended Tcb can see it reset. Left to its handle and the garbage collector:
     * a Tcb whose application may still read (data waits and the application has not closed), and
     * one whose handle the application got but whose {@code onClosed} no handler heard yet (it is
     * owed to the next {@link Tcb#setHandler}).
     */
    void reclaim() {
        if (receiving) {
            return;
        }
        for (int i = 0; i < endedCount; i++) {
            Tcb tcb = ended[i];
            ended[i] = null;
            if (tcb.state != TcpState.CLOSED || tcb.inTable || tcbPoolSize == tcbPool.length
                    || (!tcb.appClosed && tcb.rcvReadable() > 0) || (tcb.escaped && !tcb.closedDelivered)) {
                continue;
            }
            if (!tcb.handleReuse) {
                tcb.handle.detach(); // the application may keep it: it stays closed
            }
            tcb.reset();
            tcbPool[tcbPoolSize++] = tcb;
        }
        endedCount = 0;
    }

    /** Tcbs in the pool (tests). */
    int pooledTcbs() {
        return tcbPoolSize;
    }

    /** RFC 4987 §3.6: answer the SYN statelessly; the ISS encodes time, MSS and a keyed hash. */
    private void sendCookie(SegmentView s, long nowNs) {
        int peerMss = s.options.mss > 0 ? s.options.mss : 536;
        int mssIndex = 0;
        for (int i = COOKIE_MSS.length - 1; i >= 0; i--) {
            if (COOKIE_MSS[i] <= peerMss) {
                mssIndex = i;
                break;
            }
        }
        long counter = nowNs / COOKIE_PERIOD_NS;
        int iss = (int) ((counter & 31) << 27) | (mssIndex << 24)
                | cookieHash(s.destination, s.destinationPort, s.source, s.sourcePort, s.seq, counter);
        counters.increment(TcpCounter.SYN_COOKIES_SENT);
        // A transient TCB describes the SYN,ACK; it is never stored, and reused for the next cookie.
        Tcb scratch = cookieScratch;
        if (scratch == null) {
            scratch = new Tcb(this);
            cookieScratch = scratch;
        } else {
            scratch.reset();
        }
        configure(scratch, s.destination, s.destinationPort, s.source, s.sourcePort, TcpOptions.defaults());
        scratch.rcvBuf = null;
        scratch.rcvNxt = s.seq + 1;
        scratch.rcvAdvRight = scratch.rcvNxt;
        scratch.rcvMss = Math.max(536, network.mtu(s.source) - 40);
        // Window scale and SACK-permitted survive only in the timestamp; without one they are not
        // offered, or the peer would scale windows that the cookie connection takes as unscaled.
        scratch.tsOk = timestamps && s.options.hasTimestamp;
        scratch.wsOk = scratch.tsOk && windowScaling && s.options.windowScale >= 0;
        scratch.sackOk = scratch.tsOk && sack && s.options.sackPermitted;
        scratch.tsRecent = s.options.tsVal;
        int shift = 0;
        while (scratch.wsOk && shift < 14 && (receiveBufferBytes >> shift) > 65_535) {
            shift++;
        }
        scratch.rcvShift = shift;
        // With timestamps our TSval carries the peer's window scale and SACK-permitted (as Linux does).
        int encoded = (scratch.wsOk ? s.options.windowScale : 15) | (scratch.sackOk ? 16 : 0);
        scratch.tsOffset = cookieTsOffset;
        scratch.cookieTsLowBits = encoded;
        scratch.cookieWindow = Math.min(65_535, Math.min(receiveBufferBytes, initialWindowBytes));
        emitCookie(scratch, iss, nowNs);
    }

    /**
     * Whether the ACK {@code s} returns a cookie of ours: {@link #COOKIE_VALID} if its acknowledgment
     * number is a cookie issued in the last two periods to this 4-tuple for the ISN {@code SEG.SEQ - 1};
     * {@link #COOKIE_UNVERIFIABLE} if it fails the hash but carries a current period while this
     * listener has sent cookies lately (a later segment of a cookie connection whose first segments
     * were lost looks like this, and so do 3 in 32 stray ACKs); else {@link #COOKIE_INVALID}. The
     * answer depends on all 24 hash bits at once, so a forger learns nothing from the difference.
     */
    private int checkCookie(Listener listener, SegmentView s, long nowNs) {
        int cookie = s.ack - 1;
        long now = nowNs / COOKIE_PERIOD_NS;
        long sent = now - ((now - (cookie >>> 27)) & 31);
        if (now - sent > 2) {
            return COOKIE_INVALID;
        }
        if ((cookie & 0xFF_FFFF) == cookieHash(s.destination, s.destinationPort, s.source, s.sourcePort, s.seq - 1,
                sent)) {
            return COOKIE_VALID;
        }
        boolean cookieMode = listener.cookiesSent && now - listener.lastCookieNs / COOKIE_PERIOD_NS <= 2;
        return cookieMode ? COOKIE_UNVERIFIABLE : COOKIE_INVALID;
    }

    /**
     * A half-open passive connection meets an ACK it cannot accept but which completes a cookie we
     * sent this 4-tuple for the same or another SYN (a retransmitted SYN answered once by a cookie and
     * once by this TCB, or a SYN of a colliding 4-tuple that made this TCB while the peer's own
     * handshake ran on a cookie). The peer is ESTABLISHED on the cookie: this TCB is stale, so it
     * is dropped and the cookie opens the connection, where RFC 9293 §3.10.7.4 would answer with a
     * RST that resets the peer's connection.
     */
    private boolean cookieSupersedes(Tcb tcb, SegmentView s, long nowNs) {
        Listener listener = tcb.listener;
        if (!tcb.passive || listener == null || !listener.open || syncookies == 0 || !listener.cookiesSent
                || (s.flags & (TcpHeader.SYN | TcpHeader.RST | TcpHeader.ACK)) != TcpHeader.ACK
                || Tcb.lt(tcb.sndUna, s.ack) && Tcb.le(s.ack, tcb.sndMax)) {
            return false;
        }
        if (checkCookie(listener, s, nowNs) != COOKIE_VALID) {
            return false;
        }
        dropEmbryonic(tcb);
        cookieAck(listener, s, nowNs);
        return true;
    }

    /** An ACK that returns a valid cookie: the connection is ESTABLISHED at once. */
    private void cookieAck(Listener listener, SegmentView s, long nowNs) {
        int cookie = s.ack - 1;
        int irs = s.seq - 1;
        if (table.size() >= maxConnections || listener.acceptQueue.size() >= listener.backlog) {
            counters.increment(TcpCounter.DROP_ACCEPT_QUEUE_FULL);
            return; // valid but no room: drop silently, the peer retransmits
        }
        counters.increment(TcpCounter.SYN_COOKIES_ACCEPTED);
        Tcb tcb = newTcb(s.destination, s.destinationPort, s.source, s.sourcePort, listener.options);
        tcb.passive = true;
        tcb.listener = listener;
        tcb.init(bufferSize(listener.options.sendBufferBytes(), sendBufferBytes),
                bufferSize(listener.options.receiveBufferBytes(), receiveBufferBytes), nowNs);
        tcb.iss = cookie;
        tcb.sndUna = cookie + 1;
        tcb.sndNxt = cookie + 1;
        tcb.sndMax = cookie + 1;
        tcb.sndBase = cookie + 1;
        tcb.irs = irs;
        tcb.rcvNxt = s.seq;
        tcb.lastAckSent = s.seq;
        tcb.peerMss = COOKIE_MSS[(cookie >>> 24) & 7];
        tcb.sackOk = false;
        tcb.wsOk = false;
        tcb.tsOk = false;
        if (s.options.hasTimestamp && timestamps) {
            int low = s.options.tsEcr & 31;
            tcb.tsOk = true;
            tcb.tsOffset = cookieTsOffset;
            tcb.tsRecent = s.options.tsVal;
            tcb.tsRecentNs = nowNs;
            if ((low & 15) != 15 && windowScaling) {
                tcb.wsOk = true;
                tcb.sndShift = low & 15;
            }
            tcb.sackOk = sack && (low & 16) != 0;
        }
        if (!tcb.wsOk) {
            tcb.rcvShift = 0;
            tcb.rcvWindowLimit = Math.min(tcb.rcvWindowLimit, 65_535);
        } else {
            int shift = 0;
            while (shift < 14 && (receiveBufferBytes >> shift) > 65_535) {
                shift++;
            }
            tcb.rcvShift = shift;
        }
        // the window we advertised in the cookie SYN,ACK (unscaled, as in every SYN)
        tcb.rcvAdvRight = tcb.rcvNxt + Math.min(65_535, Math.min(receiveBufferBytes, initialWindowBytes));
        tcb.updateMss();
        tcb.sndWnd = (long) s.window << tcb.sndShift;
        tcb.maxSndWnd = tcb.sndWnd;
        tcb.sndWl1 = s.seq;
        tcb.sndWl2 = s.ack;
        if (!table.add(tcb)) {
            return;
        }
        tcb.inTable = true;
        tcb.established(nowNs);
        counters.increment(TcpCounter.PASSIVE_OPENS);
        accepted(tcb);
        // the ACK may carry data (its own ACK was lost), which the handler set at accept must hear of
        if (s.dataLength > 0 || (s.flags & TcpHeader.FIN) != 0) {
            tcb.arrives(s, nowNs);
            if (!tcb.closedNotified) {
                tcb.deliverEvents();
            }
        }
    }

    // ================================================================== listeners and accept queue

    private Listener findListener(int address, int port) {
        Listener wildcard = null;
        for (Listener l = listeners[port]; l != null; l = l.next) {
            if (l.localAddress == address) {
                return l;
            }
            if (l.localAddress == 0) {
                wildcard = l;
            }
        }
        return wildcard;
    }

    boolean admitToAcceptQueue(Tcb tcb) {
        Listener listener = tcb.listener;
        if (listener == null || !listener.open) {
            return false;
        }
        if (listener.acceptQueue.size() >= listener.backlog) {
            counters.increment(TcpCounter.DROP_ACCEPT_QUEUE_FULL);
            return false;
        }
        return true;
    }

    /** A passive open completed: into the accept queue; the listener's handler hears of it. */
    void accepted(Tcb tcb) {
        Listener listener = tcb.listener;
        if (tcb.counted) {
            listener.synCount--;
            tcb.counted = false;
        }
        tcb.inAcceptQueue = true;
        listener.acceptQueue.addLast(tcb);
        if (listener.acceptQueue.size() == 1) {
            listener.handler.onAcceptable(listener);
        }
    }

    /** A half-open passive connection is forgotten without a word (RST in SYN_RECEIVED, SYN timeouts). */
    void dropEmbryonic(Tcb tcb) {
        tcb.closedNotified = true;
        tcb.terminate(TcpError.NONE, nowNs());
    }

    /** Removes a TCB from every table; called once by {@link Tcb#terminate}. */
    void remove(Tcb tcb) {
        if (tcb.inTable) {
            table.remove(tcb);
            tcb.inTable = false;
        }
        if (tcb.counted && tcb.listener != null) {
            tcb.listener.synCount--;
            tcb.counted = false;
        }
        if (tcb.inAcceptQueue && tcb.listener != null) {
            tcb.listener.acceptQueue.remove(tcb);
            tcb.inAcceptQueue = false;
        }
        recycle(tcb.sendBuf);
        tcb.sendBuf = null;
        tcb.releaseSendQueue();
        if (tcb.rcvBuf != null && tcb.rcvBuf.length() == 0) {
            recycle(tcb.rcvBuf);
            tcb.rcvBuf = null;
        }
    }

    void releaseBuffersForTimeWait(Tcb tcb) {
        // TIME_WAIT keeps only sequence state; the send buffer is empty (our FIN was acknowledged)
        // and the receive buffer too unless a half-closed application still reads (it stays then).
        // Held for 2 MSL, each TIME_WAIT connection would otherwise pin a receive ring (256 KiB by
        // default): at thousands of connections a second, gigabytes of native memory.
        if (tcb.sendBuf != null && tcb.sendBuf.length() == 0) {
            recycle(tcb.sendBuf);
            tcb.sendBuf = null;
        }
        if (tcb.rcvBuf != null && tcb.rcvBuf.length() == 0) {
            recycle(tcb.rcvBuf);
            tcb.rcvBuf = null;
        }
    }

    void closeListener(Listener listener, TcpError reason) {
        listener.open = false;
        Listener previous = null;
        for (Listener l = listeners[listener.localPort]; l != null; l = l.next) {
            if (l == listener) {
                if (previous == null) {
                    listeners[listener.localPort] = l.next;
                } else {
                    previous.next = l.next;
                }
                break;
            }
            previous = l;
        }
        listenerList.remove(listener);
        long now = nowNs();
        Tcb tcb;
        while ((tcb = listener.acceptQueue.poll()) != null) {
            tcb.inAcceptQueue = false;
            tcb.abortWith(TcpError.CONNECTION_ABORTED, now);
        }
        listener.handler.onListenerClosed(listener, reason);
    }

    // ================================================================== TcpLayer

    @Override
    public TcpListener listen(int localAddress, int localPort, TcpOptions options, TcpListenerHandler handler) {
        if (stopped) {
            throw new TcpException(TcpError.PROTOCOL_STOPPED);
        }
        if (localPort <= 0 || localPort > 65_535 || handler == null) {
            throw new TcpException(TcpError.INVALID_ARGUMENT, "port " + localPort);
        }
        for (Listener l = listeners[localPort]; l != null; l = l.next) {
            if (l.localAddress == localAddress || l.localAddress == 0 || localAddress == 0) {
                throw new TcpException(TcpError.ADDRESS_IN_USE, "port " + localPort);
            }
        }
        TcpOptions o = options == null ? TcpOptions.defaults() : options;
        Listener listener = new Listener(this, localAddress, localPort, o, handler,
                o.backlog() > 0 ? o.backlog() : backlog);
        listener.next = listeners[localPort];
        listeners[localPort] = listener;
        listenerList.add(listener);
        return listener;
    }

    @Override
    public TcpConnection connect(int remoteAddress, int remotePort, int localAddress, int localPort,
            TcpOptions options, TcpHandler handler) {
        if (stopped) {
            throw new TcpException(TcpError.PROTOCOL_STOPPED);
        }
        if (remotePort <= 0 || remotePort > 65_535 || localPort < 0 || localPort > 65_535) {
            throw new TcpException(TcpError.INVALID_ARGUMENT, "port out of range");
        }
        if (network.route(remoteAddress) == null) {
            throw new TcpException(TcpError.NETWORK_UNREACHABLE);
        }
        int local = localAddress != 0 ? localAddress : network.sourceAddressFor(remoteAddress);
        if (local == 0) {
            throw new TcpException(TcpError.NETWORK_UNREACHABLE);
        }
        if (table.size() >= maxConnections) {
            throw new TcpException(TcpError.CONNECTION_LIMIT);
        }
        TcpOptions o = options == null ? TcpOptions.defaults() : options;
        int port = localPort;
        if (port == 0) {
            port = ephemeralPort(local, remoteAddress, remotePort);
            if (port == 0) {
                throw new TcpException(TcpError.ADDRESS_NOT_AVAILABLE);
            }
        } else if (table.find(local, port, remoteAddress, remotePort) != null) {
            throw new TcpException(TcpError.ADDRESS_IN_USE, "port " + port);
        } else if (!network.receivesFlow(remoteAddress, local, remotePort, port)) {
            throw new TcpException(TcpError.ADDRESS_NOT_AVAILABLE, "the segments of a connection from port " + port
                    + " arrive at another shard: connect from that shard, or let the stack pick the port");
        }
        long now = nowNs();
        Tcb tcb = newTcb(local, port, remoteAddress, remotePort, o);
        tcb.handler = handler;
        tcb.init(bufferSize(o.sendBufferBytes(), sendBufferBytes), bufferSize(o.receiveBufferBytes(),
                receiveBufferBytes), now);
        if (!table.add(tcb)) {
            throw new TcpException(TcpError.CONNECTION_LIMIT);
        }
        tcb.inTable = true;
        counters.increment(TcpCounter.ACTIVE_OPENS);
        ConnectionHandle handle = tcb.handle;
        tcb.escaped = true;
        tcb.openActive(now);
        return handle;
    }

    /**
     * RFC 6056 §3.3.4 (Algorithm 4, double-hash port selection): the search for a free port starts at
     * F(local, remote, remote port) plus a counter G(...) picks out of {@link #portCounters}, and that
     * counter moves on with every port tried. Successive connections to one destination therefore
     * take successive ports and come back to a port only after the whole range, instead of
     * (random choice, §3.3.1) picking a port whose 4-tuple a connection closed a moment ago: the
     * peer still holds it in TIME_WAIT and, with the timestamp clock (1 ms ticks) not yet moved,
     * may refuse the SYN (RFC 6191 §2), which then waits for one initial RTO.
     *
     * @return a port no listener, reservation or connection to this destination uses, or 0
     */
    private int ephemeralPort(int local, int remoteAddress, int remotePort) {
        long addresses = ((long) local << 32) | (remoteAddress & 0xFFFF_FFFFL);
        int offset = (int) (isnHash.hash(addresses, remotePort, 2) >>> 33);
        int index = (int) isnHash.hash(addresses, remotePort, 3) & (portCounters.length - 1);
        int span = EPHEMERAL_LAST - EPHEMERAL_FIRST + 1;
        for (int i = 0; i < span; i++) {
            int candidate = EPHEMERAL_FIRST + Integer.remainderUnsigned(offset + portCounters[index]++, span);
            if (listeners[candidate] == null && reservations[candidate] == null
                    && table.find(local, candidate, remoteAddress, remotePort) == null
                    && network.receivesFlow(remoteAddress, local, remotePort, candidate)) {
                return candidate; // with several shards: one whose segments come back to this shard
            }
        }
        return 0;
    }

    @Override
    public TcpPortReservation reserve(int localAddress, int localPort, boolean reuseAddress) {
        if (stopped) {
            throw new TcpException(TcpError.PROTOCOL_STOPPED);
        }
        if (localPort < 0 || localPort > 65_535) {
            throw new TcpException(TcpError.INVALID_ARGUMENT, "port " + localPort);
        }
        if (localAddress != 0 && network.sourceAddressFor(localAddress) != localAddress) {
            throw new TcpException(TcpError.ADDRESS_NOT_AVAILABLE,
                    dev.netstack.ip.wire.Ipv4Address.format(localAddress) + " is not an address of this host");
        }
        int port = localPort;
        if (port == 0) {
            // RFC 6056 §3.3.1: a random start in the range, then the next port nobody uses.
            int span = EPHEMERAL_LAST - EPHEMERAL_FIRST + 1;
            int start = random.nextInt(span);
            for (int i = 0; i < span; i++) {
                int candidate = EPHEMERAL_FIRST + (start + i) % span;
                if (listeners[candidate] == null && reservations[candidate] == null && !table.usesPort(candidate)) {
                    port = candidate;
                    break;
                }
            }
            if (port == 0) {
                throw new TcpException(TcpError.ADDRESS_NOT_AVAILABLE, "no ephemeral port is free");
            }
        } else {
            String conflict = reservationConflict(localAddress, port, reuseAddress);
            if (conflict != null) {
                throw new TcpException(TcpError.ADDRESS_IN_USE, "port " + port + " " + conflict);
            }
        }
        PortReservation r = new PortReservation(this, localAddress, port, reuseAddress);
        r.next = reservations[port];
        reservations[port] = r;
        return r;
    }

    /** What stands in the way of reserving {@code address:port}, or null (rules: {@link TcpLayer#reserve}). */
    private String reservationConflict(int address, int port, boolean reuse) {
        for (Listener l = listeners[port]; l != null; l = l.next) {
            if (overlap(l.localAddress, address)) {
                return "has a listener";
            }
        }
        for (PortReservation r = reservations[port]; r != null; r = r.next) {
            if (overlap(r.localAddress, address) && !(reuse && r.reuseAddress)) {
                return "is bound by another socket";
            }
        }
        if (!reuse && table.usesLocal(address, port)) {
            return "is used by a connection (TIME_WAIT included; set reuse address to bind anyway)";
        }
        return null;
    }

    private static boolean overlap(int a, int b) {
        return a == b || a == 0 || b == 0;
    }

    void release(PortReservation reservation) {
        PortReservation previous = null;
        for (PortReservation r = reservations[reservation.localPort]; r != null; r = r.next) {
            if (r == reservation) {
                if (previous == null) {
                    reservations[r.localPort] = r.next;
                } else {
                    previous.next = r.next;
                }
                return;
            }
            previous = r;
        }
    }

    @Override
    public List<TcpConnectionInfo> connections() {
        if (shard.inShard()) {
            return snapshot();
        }
        CompletableFuture<List<TcpConnectionInfo>> result = new CompletableFuture<>();
        if (!shard.execute(() -> result.complete(snapshot()))) {
            return List.of();
        }
        try {
            return result.get(2, TimeUnit.SECONDS);
        } catch (Exception e) {
            return List.of();
        }
    }

    private List<TcpConnectionInfo> snapshot() {
        List<TcpConnectionInfo> list = new ArrayList<>();
        for (Listener l : listenerList) {
            list.add(new TcpConnectionInfo(l.localAddress, l.localPort, 0, 0, TcpState.LISTEN, 0,
                    l.acceptQueue.size(), 0, 0, 0, 0, 0, 0, 0, null));
        }
        table.forEach(tcb -> list.add(tcb.info()));
        return list;
    }

    /** Number of connections in the table (all states but LISTEN). */
    public int connectionCount() {
        return table.size();
    }

    // ================================================================== emission

    /**
     * Builds and sends one segment of {@code tcb}: header, options, data copied from the send ring
     * at {@code seq}. Returns the data bytes sent, fewer than {@code length} (and then without FIN)
     * if the buffer could not hold them all, or -1 if no buffer was free.
     */
    int emit(Tcb tcb, int seq, int length, int flags, long nowNs) {
        return emit(tcb, seq, length, flags, null, 0, nowNs);
    }

    /**
     * {@link #emit(Tcb, int, int, int, long)}, or with {@code payload} non-null the zero-copy form:
     * the {@code length} data bytes (at most one MSS) already lie in {@code payload} at
     * {@code payloadOffset}, and the header is written into the headroom in front of them. Takes
     * ownership of {@code payload} (one reference).
     */
    int emit(Tcb tcb, int seq, int length, int flags, PacketBuffer payload, int payloadOffset, long nowNs) {
        // Segmentation offload: data beyond one MSS goes out as one large segment in a large buffer,
        // flagged for the device to cut into MSS-sized segments (see maxSendBytes). Without such a
        // buffer the segment shrinks to one MSS, and so it does below if the buffer is too small.
        boolean segmented = payload == null && length > tcb.mss && (flags & TcpHeader.SYN) == 0;
        PacketBuffer buffer = payload;
        if (buffer == null) {
            buffer = segmented ? network.allocateSegmented(tcb.remoteAddress) : null;
            if (buffer == null) {
                segmented = false;
                buffer = network.allocate(tcb.remoteAddress);
            }
        }
        if (buffer == null) {
            counters.increment(TcpCounter.DROP_NO_BUFFER);
            return -1;
        }
        if (!segmented && length > tcb.mss) {
            length = tcb.mss;
            flags &= ~(TcpHeader.FIN | TcpHeader.PSH); // the rest of the data, and the FIN, follow later
        }
        boolean syn = (flags & TcpHeader.SYN) != 0;
        if (tcb.state != TcpState.SYN_SENT || !syn) {
            flags |= TcpHeader.ACK;
        }
        int optionBytes;
        int sackBlocks = 0;
        if (syn) {
            optionBytes = 4 + (tcb.wsOk ? 4 : 0) + (tcb.tsOk ? 12 : 0) + (tcb.sackOk ? 4 : 0);
        } else {
            optionBytes = tcb.tsOk ? 12 : 0;
            if (tcb.sackOk && tcb.ooo != null && tcb.ooo.count() > 0) {
                // the blocks must not push a data segment past the path MTU (MSS excludes only TS)
                sackBlocks = Math.min(Math.min(tcb.ooo.count(), tcb.tsOk ? 3 : 4), (tcb.mss - length - 4) / 8);
                if (sackBlocks > 0) {
                    optionBytes += 4 + 8 * sackBlocks;
                } else {
                    sackBlocks = 0;
                }
            }
        }
        int headerLength = TcpHeader.MIN_LENGTH + optionBytes;
        int at;
        if (payload != null) {
            at = payloadOffset - headerLength; // the caller checked the headroom
            buffer.setData(at, headerLength + length);
        } else {
            if (buffer.tailroom() < headerLength + length) {
                length = Math.max(0, buffer.tailroom() - headerLength);
                flags &= ~(TcpHeader.FIN | TcpHeader.PSH);
            }
            at = buffer.append(headerLength + length);
        }
        MemorySegment bytes = buffer.segment();
        int ackNumber = (flags & TcpHeader.ACK) != 0 ? tcb.rcvNxt : 0;
        int window = tcb.windowField(syn); // without a ring (TIME_WAIT): the edge advertised last
        TcpHeader h = out.wrap(bytes, at);
        h.sourcePort(tcb.localPort).destinationPort(tcb.remotePort).sequence(seq).acknowledgment(ackNumber)
                .headerLength(headerLength).flags(flags).window(window).checksum(0).urgentPointer(0);
        long o = at + TcpHeader.MIN_LENGTH;
        int tsVal = (int) (nowNs / 1_000_000L) + tcb.tsOffset;
        if (syn) {
            o = TcpOptionsView.writeMss(bytes, o, tcb.rcvMss);
            if (tcb.wsOk) {
                o = TcpOptionsView.writeWindowScale(bytes, o, tcb.rcvShift);
            }
            if (tcb.sackOk) {
                o = TcpOptionsView.writeSackPermitted(bytes, o);
            }
            if (tcb.tsOk) {
                o = TcpOptionsView.writeTimestamp(bytes, o, tsVal, (flags & TcpHeader.ACK) != 0 ? tcb.tsRecent : 0);
            }
        } else {
            if (tcb.tsOk) {
                o = TcpOptionsView.writeTimestamp(bytes, o, tsVal, tcb.tsRecent);
            }
            if (sackBlocks > 0) {
                o = writeSackBlocks(tcb, bytes, o, sackBlocks);
            }
        }
        if (length > 0 && payload == null) {
            tcb.copySendData(seq, bytes, at + headerLength, length);
        }
        if (segmented) {
            // RFC 9293 §3.1: the pseudo-header sum over the whole segment's length, not complemented,
            // is what the device expects in the field (virtio §5.1.6.2 NEEDS_CSUM, Linux's
            // CHECKSUM_PARTIAL); it sums every segment it cuts from the TCP header on and completes it.
            h.checksum(InternetChecksum.fold(
                    InternetChecksum.pseudoHeaderSum(tcb.localAddress, tcb.remoteAddress, 6, headerLength + length)));
            buffer.setSegmented(tcb.mss);
        } else {
            h.fillChecksum(tcb.localAddress, tcb.remoteAddress, headerLength + length);
        }
        buffer.setTransportOffset(at);
        counters.increment(TcpCounter.OUT_SEGS);
        if ((flags & TcpHeader.ACK) != 0) {
            tcb.ackSent();
        }
        network.send(tcb.localAddress, tcb.remoteAddress, Ipv4Header.PROTOCOL_TCP, NetworkLayer.FLAG_DONT_FRAGMENT,
                buffer, nowNs);
        return length;
    }

    /**
     * Data bytes one segment of {@code tcb} may carry: its MSS; or, when the route's device
     * segments (TSO, {@link NetworkLayer#maxSegmentedBytes}), as many whole MSS as fit the
     * device's limit: the stack then sends one large segment where it would send many, and the
     * device puts MSS-sized segments on the wire (each within the path MTU, as RFC 9293 §3.7.1 asks).
     */
    int maxSendBytes(Tcb tcb) {
        int limit = network.maxSegmentedBytes(tcb.remoteAddress);
        int mss = tcb.mss;
        if (limit <= 0) {
            return mss;
        }
        int payload = limit - TcpHeader.MIN_LENGTH - (tcb.tsOk ? 12 : 0);
        return Math.max(mss, payload - payload % mss);
    }

    /** RFC 2018 §4: the block holding the most recent segment first, then the others. */
    private long writeSackBlocks(Tcb tcb, MemorySegment bytes, long o, int blocks) {
        int[] edges = sackEdges;
        int n = 0;
        int recent = -1;
        for (int i = 0; i < tcb.ooo.count(); i++) {
            if (Tcb.le(tcb.ooo.left(i), tcb.oooRecentLeft) && Tcb.le(tcb.oooRecentRight, tcb.ooo.right(i))) {
                recent = i;
                edges[0] = tcb.ooo.left(i);
                edges[1] = tcb.ooo.right(i);
                n = 1;
                break;
            }
        }
        for (int i = 0; i < tcb.ooo.count() && n < blocks; i++) {
            if (i != recent) {
                edges[2 * n] = tcb.ooo.left(i);
                edges[2 * n + 1] = tcb.ooo.right(i);
                n++;
            }
        }
        return TcpOptionsView.writeSack(bytes, o, edges, n);
    }

    private final int[] sackEdges = new int[8];

    private void emitCookie(Tcb scratch, int iss, long nowNs) {
        PacketBuffer buffer = network.allocate(scratch.remoteAddress);
        if (buffer == null) {
            counters.increment(TcpCounter.DROP_NO_BUFFER);
            return;
        }
        int optionBytes = 4 + (scratch.wsOk ? 4 : 0) + (scratch.tsOk ? 12 : 0) + (scratch.sackOk ? 4 : 0);
        int headerLength = TcpHeader.MIN_LENGTH + optionBytes;
        int at = buffer.append(headerLength);
        MemorySegment bytes = buffer.segment();
        TcpHeader h = out.wrap(bytes, at);
        h.sourcePort(scratch.localPort).destinationPort(scratch.remotePort).sequence(iss)
                .acknowledgment(scratch.rcvNxt).headerLength(headerLength).flags(TcpHeader.SYN | TcpHeader.ACK)
                .window(scratch.cookieWindow).checksum(0).urgentPointer(0);
        long o = TcpOptionsView.writeMss(bytes, at + TcpHeader.MIN_LENGTH, scratch.rcvMss);
        if (scratch.wsOk) {
            o = TcpOptionsView.writeWindowScale(bytes, o, scratch.rcvShift);
        }
        if (scratch.sackOk) {
            o = TcpOptionsView.writeSackPermitted(bytes, o);
        }
        if (scratch.tsOk) {
            // RFC 7323 §5.4: our TSvals must not go backwards, and the peer takes this one as TS.Recent:
            // the low bits carry options, so round down, never up past the clock (as Linux does)
            int clock = (int) (nowNs / 1_000_000L) + scratch.tsOffset;
            int tsVal = (clock & ~31) | scratch.cookieTsLowBits;
            if (tsVal - clock > 0) {
                tsVal -= 32;
            }
            TcpOptionsView.writeTimestamp(bytes, o, tsVal, scratch.tsRecent);
        }
        h.fillChecksum(scratch.localAddress, scratch.remoteAddress, headerLength);
        buffer.setTransportOffset(at);
        counters.increment(TcpCounter.OUT_SEGS);
        network.send(scratch.localAddress, scratch.remoteAddress, Ipv4Header.PROTOCOL_TCP,
                NetworkLayer.FLAG_DONT_FRAGMENT, buffer, nowNs);
    }

    /** A bare RST (or RST,ACK) from {@code local} to {@code remote}. */
    void sendReset(int remote, int local, int localPort, int remotePort, int seq, int ack, boolean withAck,
            long nowNs) {
        PacketBuffer buffer = network.allocate(remote);
        if (buffer == null) {
            counters.increment(TcpCounter.DROP_NO_BUFFER);
            return;
        }
        int at = buffer.append(TcpHeader.MIN_LENGTH);
        TcpHeader h = out.wrap(buffer.segment(), at);
        h.sourcePort(localPort).destinationPort(remotePort).sequence(seq).acknowledgment(withAck ? ack : 0)
                .headerLength(TcpHeader.MIN_LENGTH).flags(TcpHeader.RST | (withAck ? TcpHeader.ACK : 0)).window(0)
                .checksum(0).urgentPointer(0);
        h.fillChecksum(local, remote, TcpHeader.MIN_LENGTH);
        buffer.setTransportOffset(at);
        counters.increment(TcpCounter.OUT_SEGS);
        counters.increment(TcpCounter.OUT_RSTS);
        network.send(local, remote, Ipv4Header.PROTOCOL_TCP, 0, buffer, nowNs);
    }

    /** RFC 5961 §3.2, §4.2, §5.2, with the rate limit of §7 (a token bucket for the stack). */
    void challengeAck(Tcb tcb, long nowNs) {
        long elapsed = nowNs - challengeLastNs;
        if (elapsed > 0) {
            long refill = elapsed * challengePerSecond / 1_000_000_000L;
            if (refill > 0) {
                challengeTokens = Math.min(challengePerSecond, challengeTokens + refill);
                challengeLastNs = nowNs;
            }
        }
        if (challengeTokens <= 0) {
            counters.increment(TcpCounter.CHALLENGE_ACKS_SUPPRESSED);
            return;
        }
        challengeTokens--;
        counters.increment(TcpCounter.CHALLENGE_ACKS);
        tcb.sendAck(nowNs);
    }

    // ================================================================== ICMP

    @Override
    public void icmpErrorReceived(int type, int code, PacketBuffer packet, long nowNs) {
        if (stopped || packet.transportOffset() < 0 || packet.end() - packet.transportOffset() < 8) {
            return;
        }
        MemorySegment bytes = packet.segment();
        Ipv4Header quoted = ip.wrap(bytes, packet.offset());
        int local = quoted.source();
        int remote = quoted.destination();
        TcpHeader q = in.wrap(bytes, packet.transportOffset());
        Tcb tcb = table.find(local, q.sourcePort(), remote, q.destinationPort());
        if (tcb == null) {
            return;
        }
        int seq = q.sequence();
        // RFC 5927 §4.1: only errors quoting a sequence number in flight are believed
        if (Tcb.lt(seq, tcb.sndUna) || !Tcb.lt(seq, tcb.sndMax) && seq != tcb.sndUna) {
            return;
        }
        if (type != 3) {
            return; // time exceeded, parameter problem, source quench: soft errors (RFC 1122 §4.2.3.9)
        }
        if (code == 4) {
            // RFC 1191 §4: fragmentation needed: the next-hop MTU is in the ICMP header's last 2 bytes
            int mtu = packet.offset() >= 2 ? bytes.get(SHORT_BE, packet.offset() - 2) & 0xFFFF : 0;
            if (mtu < 68) {
                mtu = 576; // RFC 1191 §5: an old router; fall to a plateau
            }
            if (tcb.pmtuBytes == 0 || mtu < tcb.pmtuBytes) {
                tcb.pmtuBytes = Math.max(mtu, 296);
                counters.increment(TcpCounter.PMTU_UPDATES);
                tcb.updateMss();
                if (tcb.state.isSynchronized()) {
                    tcb.sndNxt = tcb.sndUna; // resend what was dropped, in smaller segments
                    tcb.output(nowNs);
                }
            }
            return;
        }
        if ((code == 2 || code == 3) && (tcb.state == TcpState.SYN_SENT
                || tcb.state == TcpState.SYN_RECEIVED && !tcb.passive)) {
            // RFC 1122 §4.2.3.9: protocol or port unreachable is a hard error: connection refused
            counters.increment(TcpCounter.ICMP_ABORTS);
            counters.increment(TcpCounter.ATTEMPT_FAILS);
            tcb.terminate(TcpError.CONNECTION_REFUSED, nowNs);
            return;
        }
        if (tcb.state == TcpState.SYN_SENT && (code == 0 || code == 1)) {
            tcb.softError = code == 0 ? TcpError.NETWORK_UNREACHABLE : TcpError.HOST_UNREACHABLE;
        }
    }

    // ================================================================== hot swap

    /**
     * Deactivation: every connection is reset (RST to the peer) and reports
     * {@link TcpError#PROTOCOL_STOPPED}; listeners close with the same reason.
     */
    @Deactivate
    public void close() {
        stopped = true;
        CompletableFuture<Void> done = new CompletableFuture<>();
        Runnable teardown = () -> {
            try {
                long now = nowNs();
                for (Listener l : new ArrayList<>(listenerList)) {
                    closeListener(l, TcpError.PROTOCOL_STOPPED);
                }
                table.forEach(tcb -> {
                    if (tcb.state == TcpState.TIME_WAIT) {
                        tcb.terminate(TcpError.NONE, now);
                    } else {
                        tcb.abortWith(TcpError.PROTOCOL_STOPPED, now);
                    }
                });
            } finally {
                done.complete(null);
            }
        };
        if (shard.inShard() || !shard.execute(teardown)) {
            teardown.run();
        } else {
            try {
                done.get(2, TimeUnit.SECONDS);
            } catch (Exception e) {
                LOG.log(Level.WARNING, "TCP: the shard did not reset the connections in time; stopping anyway");
            }
        }
    }
}
