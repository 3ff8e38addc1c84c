package dev.netstack.tcp.internal;

import dev.netstack.nic.PacketBuffer;
import dev.netstack.runtime.Timer;
import dev.netstack.tcp.CongestionControl;
import dev.netstack.tcp.CongestionControlFactory;
import dev.netstack.tcp.TcpConnection;
import dev.netstack.tcp.TcpConnectionInfo;
import dev.netstack.tcp.TcpError;
import dev.netstack.tcp.TcpHandler;
import dev.netstack.tcp.TcpState;
import dev.netstack.tcp.wire.TcpHeader;
import java.lang.foreign.MemorySegment;

/**
 * One connection's transmission control block (RFC 9293 §3.3.1) and its segment processing.
 *
 * <p>Read first: RFC 9293 §3.10.7.3-4 (SEGMENT ARRIVES, followed here step by step: "first"
 * sequence check ... "eighth" FIN), §3.8.6 (windows, SWS avoidance, delayed ACK), RFC 5961 (blind
 * RST, SYN and data injection), RFC 7323 (window scale, timestamps, PAWS), RFC 6298 (RTO),
 * RFC 5681 and 6582 (fast retransmit, NewReno), RFC 2018 and 6675 (SACK and SACK-based recovery).
 *
 * <p>Sequence space of the sender:
 * <pre>
 *      sndBase (seq of send ring byte 0; iss+1 once data starts)
 *      |
 *   ---+-----------+==============+--------------+----
 *      | acked     | in flight    | unsent       | FIN (if queued) at dataEnd
 *   sndUna ........^ sndNxt ......^ dataEnd = sndBase + ring length
 *   sndMax: the highest sequence number ever sent (sndNxt goes back to sndUna after an RTO)
 * </pre>
 * The stored bytes {@code [sndBase, dataEnd)} are the send ring's, then those of the zero-copy
 * queue {@link #zcq} (buffers the application handed over with {@link #send(PacketBuffer)}):
 * <pre>
 *   sndBase                 sndBase + ring length                     dataEnd
 *   | ring bytes (copied)   | zcq[head] | zcq[head+1] | ... | zcq[tail] |
 * </pre>
 * A copying send never appends to the ring while the queue holds buffers (it would jump ahead of
 * them), so the order of the two is the order of the calls. The first transmission of a queued
 * buffer goes out in the buffer itself, headers prepended into its headroom ({@link #emitData});
 * everything else (retransmissions, coalescing short buffers, ring bytes) is copied into a fresh
 * buffer by {@link #copySendData}.
 * Receiver: {@code rcvNxt} is the next in-order byte; the receive ring holds
 * {@code [rcvNxt - readable, rcvNxt)} committed and out-of-order data beyond, its ranges in
 * {@link #ooo}. The window advertised ends at {@code rcvAdvRight} and never moves left.
 *
 * <p>Zero-copy receive ({@link #setZeroCopyReceive}): the in-order stream is
 * <pre>
 *   [ rcvReady: segment buffers, FIFO ][ rcvBuf: ring bytes ] | rcvNxt
 *   rcvLent: buffers the application took and has not released (out of the stream, still charged)
 * </pre>
 * An in-order segment keeps its own packet buffer (retained, data narrowed to the payload) and is
 * appended to {@code rcvReady} only while the ring holds nothing and no out-of-order data waits,
 * so the stream order is always "buffers, then ring". Everything else (out-of-order data, the
 * segment that fills a hole and what follows it until the application drained the ring, segments
 * beyond {@link #zcMaxBuffers} buffers held) is copied into the ring as without zero-copy. The
 * window charges ring bytes, ready bytes and lent bytes alike (see {@link #rcvCharged()}).
 *
 * <p><b>Pooling.</b> A Tcb is reused: when its connection has ended, {@link TcpStack#reclaim} puts it
 * through {@link #reset()} into the stack's pool with its {@link SackScoreboard}, {@link SeqRanges},
 * timers, zero-copy slot arrays and (as {@link #spareCc}) its congestion control state, and
 * {@link TcpStack#newTcb} takes it from there. Applications never hold a Tcb: they get its
 * {@link #handle} (see {@link ConnectionHandle}), which is detached when the Tcb is pooled, and
 * every callback passes the handle. Each field's initial value is restored by {@link #reset()}.
 *
 * <p>Shard-confined; nothing here allocates per segment.
 */
final class Tcb implements TcpConnection {

    static final int DUP_THRESH = SackScoreboard.DUP_THRESH;
    /** The largest TCP header, 20 bytes and 40 of options (RFC 9293 §3.1): room a zero-copy payload needs. */
    static final int MAX_HEADER = 60;
    /** Zero-copy receive keeps device-sized buffers only (jumbo frames included), not reassembly buffers. */
    static final int MAX_KEPT_BUFFER_BYTES = 16 * 1024;
    /** Segments ACKed at once after the handshake or after idle (quick ACK while the peer slow-starts). */
    static final int QUICK_ACKS = 16;
    /** RFC 7323 §5.5: TS.Recent older than 24 days is invalid for PAWS. */
    static final long PAWS_IDLE_NS = 24L * 24 * 3600 * 1_000_000_000L;

    final TcpStack stack;
    final TcpHeader out = new TcpHeader();

    int localAddress;
    int localPort;
    int remoteAddress;
    int remotePort;

    TcpState state = TcpState.CLOSED;
    TcpError error = TcpError.NONE;
    TcpHandler handler;
    /** For passive opens: the listener until the connection is accepted. */
    Listener listener;
    boolean passive;
    boolean inAcceptQueue;
    boolean inTable;

    // ------------------------------------------------------------ send state (RFC 9293 §3.3.1)
    ByteRing sendBuf;
    int sndBase;
    int iss;
    int sndUna;
    int sndNxt;
    int sndMax;
    long sndWnd;
    long maxSndWnd;
    int sndWl1;
    int sndWl2;
    int sndShift;
    boolean finQueued;
    // zero-copy send queue, after the ring in sequence space (ring index = absolute slot)
    PacketBuffer[] zcq;
    int[] zcqOffset;
    int[] zcqLength;
    int zcqHead;
    int zcqCount;
    int zcqBytes;
    /** A search hint: slot {@code zcqCursor} starts at {@code zcqCursorSeq} (-1: none). */
    int zcqCursor = -1;
    int zcqCursorSeq;
    /** Segments sent from the application's own buffer / queued bytes sent by copying (segments). */
    long zcSentSegments;
    long zcCopiedSendSegments;
    int mss;
    int peerMss;

    // ------------------------------------------------------------ receive state
    ByteRing rcvBuf;
    SeqRanges ooo;
    int oooRecentLeft;
    int oooRecentRight;
    int irs;
    int rcvNxt;
    int rcvAdvRight;
    int rcvShift;
    int rcvMss;
    int rcvWindowLimit;
    boolean finReceived;
    boolean eofDelivered;
    int lastAckSent;

    // ------------------------------------------------------------ zero-copy receive (shard only)
    boolean zeroCopyReceive;
    /** Most buffers ready plus lent at once; beyond this, segments are copied into the ring. */
    int zcMaxBuffers;
    PacketBuffer[] rcvReady;
    int rcvReadyHead;
    int rcvReadyCount;
    int rcvReadyBytes;
    PacketBuffer[] rcvLent;
    int[] rcvLentLength;
    int rcvLentCount;
    int rcvLentBytes;
    /** Segments kept without copying / in-order segments copied while zero-copy receive was on. */
    long zcSegments;
    long zcCopiedSegments;

    // ------------------------------------------------------------ options
    boolean wsOk;
    boolean tsOk;
    boolean sackOk;
    int tsRecent;
    long tsRecentNs;
    int tsOffset;

    // ------------------------------------------------------------ RTT and RTO (RFC 6298)
    long srttNs;
    long rttvarNs;
    long rtoNs;
    boolean rttTiming;
    int rttSeq;
    long rttStartNs;
    int retries;
    long retransmits;
    boolean persisting;
    int persistBackoff;

    // ------------------------------------------------------------ congestion and recovery
    CongestionControl cc;
    boolean inRecovery;
    /** RFC 6675 §2 RecoveryPoint / RFC 6582 "recover", as an exclusive end (HighData + 1 when set). */
    int recover;
    int dupAcks;
    /** SACK scoreboard with HighRxt and RescueRxt (RFC 6675 §3-4). */
    SackScoreboard scoreboard;

    // ------------------------------------------------------------ ACK policy
    boolean ackNow;
    int unackedBytes;
    int quickAcks;

    // ------------------------------------------------------------ application options and state
    boolean noDelay;
    boolean keepAlive;
    long keepIdleNs;
    long keepIntervalNs;
    int keepCount;
    int keepProbes;
    int lingerMs = -1;
    boolean appClosed;
    boolean outputShut;
    long lastReceiveNs;
    boolean writeBlocked;
    boolean readablePending;
    boolean peerClosedPending;
    boolean connectedPending;
    boolean closedNotified;
    boolean counted;

    final TcbTimer retransmitTimer = new TcbTimer(this, TcbTimer.RETRANSMIT);
    final TcbTimer delayedAckTimer = new TcbTimer(this, TcbTimer.DELAYED_ACK);
    final TcbTimer keepAliveTimer = new TcbTimer(this, TcbTimer.KEEPALIVE);
    final TcbTimer waitTimer = new TcbTimer(this, TcbTimer.WAIT);

    /** What the application holds for this incarnation (a new one after each {@link #reset()}); null in the pool. */
    ConnectionHandle handle;
    /** The handle left the stack (connect returned it, or accept): the application may hold it. */
    boolean escaped;
    /** The application drops the handle when it hears onClosed ({@code TcpOptions.handleReuse}). */
    boolean handleReuse;
    /** In the pool: the handle of the last incarnation, whose application let it go, for the next one. */
    ConnectionHandle spareHandle;
    /** Congestion control state of an earlier incarnation, and its factory, for recycling. */
    CongestionControl spareCc;
    CongestionControlFactory spareCcFactory;
    /** The factory {@link #cc} came from. */
    CongestionControlFactory ccFactory;

    Tcb(TcpStack stack) {
        this.stack = stack;
        this.handle = new ConnectionHandle(this);
    }

    /**
     * Back to the state of a new Tcb for another connection, keeping the objects worth keeping.
     * The caller has detached {@link #handle}; the Tcb is out of every table and its timers are
     * cancelled ({@link #terminate}). Zero-copy buffers the application took stay the
     * application's (a detached handle releases them).
     */
    void reset() {
        stack.timers.cancel(retransmitTimer);
        stack.timers.cancel(delayedAckTimer);
        stack.timers.cancel(keepAliveTimer);
        stack.timers.cancel(waitTimer);
        if (sendBuf != null) {
            stack.recycle(sendBuf);
        }
        if (rcvBuf != null) {
            stack.recycle(rcvBuf);
        }
        if (zcq != null) {
            releaseSendQueue();
        }
        if (rcvReady != null) {
            discardReady();
            java.util.Arrays.fill(rcvLent, null);
        }
        if (cc != null) {
            spareCc = cc;
            spareCcFactory = ccFactory;
        }
        if (ooo != null) {
            ooo.clear();
        }
        if (scoreboard != null) {
            scoreboard.clear();
        }
        localAddress = 0;
        localPort = 0;
        remoteAddress = 0;
        remotePort = 0;
        state = TcpState.CLOSED;
        error = TcpError.NONE;
        handler = null;
        listener = null;
        passive = false;
        inAcceptQueue = false;
        inTable = false;
        sendBuf = null;
        sndBase = 0;
        iss = 0;
        sndUna = 0;
        sndNxt = 0;
        sndMax = 0;
        sndWnd = 0;
        maxSndWnd = 0;
        sndWl1 = 0;
        sndWl2 = 0;
        sndShift = 0;
        finQueued = false;
        zcqHead = 0;
        zcqCount = 0;
        zcqBytes = 0;
        zcqCursor = -1;
        zcqCursorSeq = 0;
        zcSentSegments = 0;
        zcCopiedSendSegments = 0;
        mss = 0;
        peerMss = 0;
        rcvBuf = null;
        oooRecentLeft = 0;
        oooRecentRight = 0;
        irs = 0;
        rcvNxt = 0;
        rcvAdvRight = 0;
        rcvShift = 0;
        rcvMss = 0;
        rcvWindowLimit = 0;
        finReceived = false;
        eofDelivered = false;
        lastAckSent = 0;
        zeroCopyReceive = false;
        zcMaxBuffers = 0;
        rcvReadyHead = 0;
        rcvReadyCount = 0;
        rcvReadyBytes = 0;
        rcvLentCount = 0;
        rcvLentBytes = 0;
        zcSegments = 0;
        zcCopiedSegments = 0;
        wsOk = false;
        tsOk = false;
        sackOk = false;
        tsRecent = 0;
        tsRecentNs = 0;
        tsOffset = 0;
        srttNs = 0;
        rttvarNs = 0;
        rtoNs = 0;
        rttTiming = false;
        rttSeq = 0;
        rttStartNs = 0;
        retries = 0;
        retransmits = 0;
        persisting = false;
        persistBackoff = 0;
        cc = null;
        ccFactory = null;
        inRecovery = false;
        recover = 0;
        dupAcks = 0;
        ackNow = false;
        unackedBytes = 0;
        quickAcks = 0;
        noDelay = false;
        keepAlive = false;
        keepIdleNs = 0;
        keepIntervalNs = 0;
        keepCount = 0;
        keepProbes = 0;
        lingerMs = -1;
        appClosed = false;
        outputShut = false;
        lastReceiveNs = 0;
        writeBlocked = false;
        readablePending = false;
        peerClosedPending = false;
        connectedPending = false;
        closedNotified = false;
        counted = false;
        softError = null;
        cookieTsLowBits = 0;
        cookieWindow = 0;
        pmtuBytes = 0;
        ccName = null;
        rcvEpochStartNs = 0;
        rcvEpochBytes = 0;
        rcvRttNs = 0;
        writablePending = false;
        lastRttNs = -1;
        lastSendNs = 0;
        closedDelivered = false;
        escaped = false;
        // The next incarnation gets its own handle (TcpStack.newTcb), or this one if the application let it go.
        spareHandle = handleReuse ? handle : null;
        handleReuse = false;
        handle = null;
    }

    // =================================================================== timers

    static final class TcbTimer extends Timer {
        static final int RETRANSMIT = 0;
        static final int DELAYED_ACK = 1;
        static final int KEEPALIVE = 2;
        /** TIME_WAIT (2·MSL), FIN_WAIT_2 timeout, linger deadline. */
        static final int WAIT = 3;

        final Tcb tcb;
        final int kind;

        TcbTimer(Tcb tcb, int kind) {
            this.tcb = tcb;
            this.kind = kind;
        }

        @Override
        protected void onExpiry(long nowNs) {
            switch (kind) {
                case RETRANSMIT -> tcb.onRetransmitTimer(nowNs);
                case DELAYED_ACK -> tcb.onDelayedAckTimer(nowNs);
                case KEEPALIVE -> tcb.onKeepAliveTimer(nowNs);
                default -> tcb.onWaitTimer(nowNs);
            }
            tcb.stack.reclaim(); // e.g. the TIME_WAIT that just ended
        }
    }

    // =================================================================== helpers

    static boolean lt(int a, int b) {
        return a - b < 0;
    }

    static boolean le(int a, int b) {
        return a - b <= 0;
    }

    static int max(int a, int b) {
        return lt(a, b) ? b : a;
    }

    int dataEnd() {
        return sndBase + sendBuf.length() + zcqBytes;
    }

    boolean finAcked() {
        return finQueued && lt(dataEnd(), sndUna);
    }

    long flightBytes() {
        return (long) (sndMax - sndUna);
    }

    void setState(TcpState next) {
        TcpState previous = state;
        state = next;
        boolean wasEstab = previous == TcpState.ESTABLISHED || previous == TcpState.CLOSE_WAIT;
        boolean isEstab = next == TcpState.ESTABLISHED || next == TcpState.CLOSE_WAIT;
        if (!wasEstab && isEstab) {
            stack.counters.add(TcpCounter.CURR_ESTAB, 1);
        } else if (wasEstab && !isEstab) {
            stack.counters.add(TcpCounter.CURR_ESTAB, -1);
        }
    }

    // =================================================================== opening

    /** Sets up buffers, window scale and MSS for a new connection (both opens). */
    void init(int sendBytes, int receiveBytes, long nowNs) {
        sendBuf = stack.ring(sendBytes);
        rcvBuf = stack.ring(receiveBytes);
        if (ooo == null) { // a pooled Tcb keeps them (cleared by reset)
            ooo = new SeqRanges(stack.oooMaxRanges);
            scoreboard = new SackScoreboard(stack.oooMaxRanges, 2 * stack.oooMaxRanges);
        }
        int routeMtu = stack.network.mtu(remoteAddress);
        // RFC 6691 / RFC 9293 §3.7.1: MSS = MTU - fixed IP and TCP headers (options not counted).
        rcvMss = Math.max(536, (routeMtu > 0 ? routeMtu : 576) - 40);
        mss = 536;
        peerMss = 536;
        int shift = 0;
        while (shift < 14 && (receiveBytes >> shift) > 65_535) {
            shift++;
        }
        rcvShift = shift;
        rcvWindowLimit = Math.min(receiveBytes, Math.max(stack.initialWindowBytes, 4 * rcvMss));
        rtoNs = stack.rtoInitialNs;
        // RFC 7323 §5.4 / §7.1: a keyed hash of the 4-tuple, not a fresh random number, so that a
        // new connection on the 4-tuple of one in TIME_WAIT (ours or the peer's) carries timestamps
        // above the old one's and passes the peer's PAWS check (RFC 6191).
        tsOffset = stack.timestampOffset(localAddress, localPort, remoteAddress, remotePort);
        lastReceiveNs = nowNs;
        quickAcks = QUICK_ACKS;
    }

    /** Active open (RFC 9293 §3.10.1): SYN_SENT and a SYN out. */
    void openActive(long nowNs) {
        iss = stack.isn(localAddress, localPort, remoteAddress, remotePort, nowNs);
        sndUna = iss;
        sndNxt = iss;
        sndMax = iss;
        sndBase = iss + 1;
        wsOk = stack.windowScaling;
        tsOk = stack.timestamps;
        sackOk = stack.sack;
        setState(TcpState.SYN_SENT);
        sendSyn(nowNs);
    }

    /** Passive open: our SYN,ACK (RFC 9293 §3.10.7.2 "third"). */
    void sendSynAck(long nowNs) {
        sendSyn(nowNs);
    }

    /** ICMP net/host unreachable seen during the handshake: reported if the attempt times out. */
    TcpError softError;
    /** SYN cookie scratch TCBs only: the low TSval bits and the window of the SYN,ACK. */
    int cookieTsLowBits;
    int cookieWindow;

    void sendSyn(long nowNs) {
        int flags = TcpHeader.SYN | (state == TcpState.SYN_RECEIVED ? TcpHeader.ACK : 0);
        emit(iss, 0, flags, nowNs);
        if (lt(sndNxt, iss + 1)) {
            sndNxt = iss + 1;
        }
        if (lt(sndMax, sndNxt)) {
            sndMax = sndNxt;
        }
        if (!retransmitTimer.isScheduled()) {
            stack.timers.schedule(retransmitTimer, nowNs + backedOffRto());
        }
    }

    /** Applies the options of a SYN (RFC 9293 §3.7.1, RFC 7323 §2.2 and §3.2, RFC 2018 §2). */
    void applySynOptions(SegmentView s, long nowNs) {
        peerMss = s.options.mss > 0 ? s.options.mss : 536; // RFC 9293 §3.7.1: default 536
        if (s.options.windowScale >= 0 && wsOk) {
            sndShift = s.options.windowScale;
        } else {
            wsOk = false;
            sndShift = 0;
            rcvShift = 0;
            rcvWindowLimit = Math.min(rcvWindowLimit, 65_535);
        }
        if (s.options.hasTimestamp && tsOk) {
            tsRecent = s.options.tsVal;
            tsRecentNs = nowNs;
        } else {
            tsOk = false;
        }
        sackOk = sackOk && s.options.sackPermitted;
        updateMss();
    }

    void updateMss() {
        int routeMtu = stack.network.mtu(remoteAddress);
        int pathMss = (routeMtu > 0 ? routeMtu : 576) - 40;
        if (pmtuBytes > 0) {
            pathMss = Math.min(pathMss, pmtuBytes - 40);
        }
        // The MSS option excludes options (RFC 6691): data per segment is smaller by their length.
        int next = Math.max(88, Math.min(peerMss, pathMss) - (tsOk ? 12 : 0));
        if (next != mss) {
            mss = next;
            if (cc != null) {
                cc.onMssChanged(mss);
            }
        }
    }

    int pmtuBytes;

    void established(long nowNs) {
        setState(TcpState.ESTABLISHED);
        recover = iss; // RFC 6582 §3.2 step 1: recover starts at the initial send sequence number
        scoreboard.endRecovery(sndUna);
        retries = 0;
        if (cc == null) {
            CongestionControlFactory factory = stack.congestionControlFactory(ccName);
            cc = spareCc != null && spareCcFactory == factory
                    ? factory.recycle(spareCc, mss, nowNs)
                    : factory.create(mss, nowNs);
            ccFactory = factory;
            spareCc = null;
            spareCcFactory = null;
        }
        armKeepAlive(nowNs);
    }

    String ccName;

    // =================================================================== SEGMENT ARRIVES

    /** RFC 9293 §3.10.7.3: SYN-SENT. */
    void synSentArrives(SegmentView s, long nowNs) {
        int flags = s.flags;
        boolean ackAcceptable = false;
        // first: check the ACK bit
        if ((flags & TcpHeader.ACK) != 0) {
            if (le(s.ack, iss) || lt(sndMax, s.ack)) {
                if ((flags & TcpHeader.RST) == 0) {
                    stack.sendReset(remoteAddress, localAddress, localPort, remotePort, s.ack, 0, false, nowNs);
                }
                stack.counters.increment(TcpCounter.DROP_ACK_UNACCEPTABLE);
                return;
            }
            ackAcceptable = le(sndUna, s.ack) && le(s.ack, sndMax);
        }
        // second: check the RST bit (RFC 5961 §3.2: only with an acceptable ACK)
        if ((flags & TcpHeader.RST) != 0) {
            if (ackAcceptable) {
                stack.counters.increment(TcpCounter.ATTEMPT_FAILS);
                terminate(TcpError.CONNECTION_REFUSED, nowNs);
            }
            return;
        }
        // fourth: check the SYN bit
        if ((flags & TcpHeader.SYN) == 0) {
            return;
        }
        irs = s.seq;
        rcvNxt = s.seq + 1;
        rcvAdvRight = rcvNxt;
        lastAckSent = rcvNxt;
        applySynOptions(s, nowNs);
        sndWnd = (long) s.window; // RFC 7323 §2.2: the window of a SYN is never scaled
        maxSndWnd = sndWnd;
        sndWl1 = s.seq;
        sndWl2 = s.ack;
        if (ackAcceptable && lt(iss, s.ack)) {
            // our SYN is acknowledged: ESTABLISHED, ACK it (RFC 9293 §3.10.7.3 "fourth")
            ackReceived(s.ack, nowNs);
            established(nowNs);
            connectedPending = true;
            ackNow = true;
            if (s.dataLength > 0 || (flags & TcpHeader.FIN) != 0) {
                processText(s, nowNs);
            }
            output(nowNs);
        } else {
            // simultaneous open (RFC 9293 §3.5 Figure 8): SYN_RECEIVED, send SYN,ACK
            setState(TcpState.SYN_RECEIVED);
            stack.timers.cancel(retransmitTimer);
            sndNxt = iss;
            sendSyn(nowNs);
        }
    }

    /** RFC 9293 §3.10.7.4: every state from SYN_RECEIVED on. */
    void arrives(SegmentView s, long nowNs) {
        int flags = s.flags;
        boolean rst = (flags & TcpHeader.RST) != 0;
        int segLen = s.dataLength + ((flags & TcpHeader.SYN) != 0 ? 1 : 0) + ((flags & TcpHeader.FIN) != 0 ? 1 : 0);

        // RFC 7323 §5.3 R1: PAWS before the sequence check, not for RST.
        if (tsOk && s.options.hasTimestamp && !rst && lt(s.options.tsVal, tsRecent)
                && nowNs - tsRecentNs < PAWS_IDLE_NS) {
            stack.counters.increment(TcpCounter.DROP_PAWS);
            sendAck(nowNs);
            return;
        }

        // first: check the sequence number (the four cases of RFC 9293 §3.10.7.4)
        int rcvWnd = Math.max(0, rcvAdvRight - rcvNxt);
        boolean acceptable;
        if (segLen == 0) {
            acceptable = rcvWnd == 0 ? s.seq == rcvNxt
                    : le(rcvNxt, s.seq) && lt(s.seq, rcvNxt + rcvWnd);
        } else if (rcvWnd == 0) {
            acceptable = false;
        } else {
            int last = s.seq + segLen - 1;
            acceptable = (le(rcvNxt, s.seq) && lt(s.seq, rcvNxt + rcvWnd))
                    || (le(rcvNxt, last) && lt(last, rcvNxt + rcvWnd));
        }
        // A zero window still accepts ACKs, RSTs and a segment at exactly rcvNxt for its control bits.
        if (!acceptable && rcvWnd == 0 && s.seq == rcvNxt) {
            acceptable = true;
        }
        if (!acceptable) {
            if (state == TcpState.TIME_WAIT && (flags & TcpHeader.FIN) != 0) {
                // RFC 9293 §3.10.7.4 TIME_WAIT: a retransmitted FIN is acknowledged and restarts 2 MSL
                stack.timers.schedule(waitTimer, nowNs + 2 * stack.mslNs);
            }
            if (!rst) {
                stack.counters.increment(TcpCounter.DROP_SEQUENCE);
                sendAck(nowNs); // RFC 9293 §3.10.7.4: <SEQ=SND.NXT><ACK=RCV.NXT><CTL=ACK>
            }
            return;
        }
        lastReceiveNs = nowNs;
        keepProbes = 0;

        // second: check the RST bit (RFC 5961 §3.2)
        if (rst) {
            if (s.seq != rcvNxt) {
                stack.challengeAck(this, nowNs); // in window but not exact: challenge
                return;
            }
            switch (state) {
                case SYN_RECEIVED -> {
                    if (passive) {
                        stack.dropEmbryonic(this); // RFC 9293: back to LISTEN, i.e. forget it
                    } else {
                        stack.counters.increment(TcpCounter.ATTEMPT_FAILS);
                        terminate(TcpError.CONNECTION_REFUSED, nowNs);
                    }
                }
                case ESTABLISHED, FIN_WAIT_1, FIN_WAIT_2, CLOSE_WAIT -> {
                    stack.counters.increment(TcpCounter.ESTAB_RESETS);
                    terminate(TcpError.CONNECTION_RESET, nowNs);
                }
                default -> terminate(TcpError.NONE, nowNs); // CLOSING, LAST_ACK, TIME_WAIT
            }
            return;
        }

        // RFC 7323 §4.3: update TS.Recent when the segment covers Last.ACK.sent.
        if (tsOk && s.options.hasTimestamp && le(s.seq, lastAckSent) && le(lastAckSent, s.seq + segLen)
                && le(tsRecent, s.options.tsVal)) {
            tsRecent = s.options.tsVal;
            tsRecentNs = nowNs;
        }

        if (tsOk && s.options.hasTimestamp && s.options.tsEcr != 0 && s.dataLength > 0) {
            // RFC 7323 §4 RTTM seen from the receiver: our echoed clock gives the round trip for auto-tuning
            long sample = ((int) (nowNs / 1_000_000L) + tsOffset - s.options.tsEcr) * 1_000_000L;
            if (sample >= 0 && sample < 60_000_000_000L) {
                rcvRttNs = rcvRttNs == 0 ? Math.max(sample, 1_000_000L) : (7 * rcvRttNs + Math.max(sample, 1_000_000L)) / 8;
            }
        }

        // fourth: check the SYN bit (RFC 5961 §4.2: challenge ACK in every synchronized state)
        if ((flags & TcpHeader.SYN) != 0) {
            if (state == TcpState.SYN_RECEIVED && passive && s.seq == irs) {
                ackNow = true; // a retransmitted SYN: resend our SYN,ACK (RFC 9293 §3.10.7.4, data drop)
                sndNxt = iss;
                sendSyn(nowNs);
                return;
            }
            stack.challengeAck(this, nowNs);
            return;
        }

        // fifth: check the ACK field
        if ((flags & TcpHeader.ACK) == 0) {
            return;
        }
        if (state == TcpState.SYN_RECEIVED) {
            if (lt(sndUna, s.ack) && le(s.ack, sndMax)) {
                if (passive && !stack.admitToAcceptQueue(this)) {
                    return; // accept queue full: drop the ACK, the peer retransmits it
                }
                sndWnd = (long) s.window << sndShift;
                maxSndWnd = Math.max(maxSndWnd, sndWnd);
                sndWl1 = s.seq;
                sndWl2 = s.ack;
                ackReceived(s.ack, nowNs);
                established(nowNs);
                if (passive) {
                    stack.counters.increment(TcpCounter.PASSIVE_OPENS);
                    stack.accepted(this);
                } else {
                    connectedPending = true;
                }
            } else {
                stack.sendReset(remoteAddress, localAddress, localPort, remotePort, s.ack, 0, false, nowNs);
                return;
            }
        } else {
            // RFC 5961 §5.2: acceptable if SND.UNA - MAX.SND.WND <= SEG.ACK <= SND.NXT
            if (lt(sndMax, s.ack) || lt(s.ack, sndUna - (int) Math.min(maxSndWnd, Integer.MAX_VALUE))) {
                stack.counters.increment(TcpCounter.DROP_ACK_UNACCEPTABLE);
                stack.challengeAck(this, nowNs);
                return;
            }
            processAck(s, nowNs);
            if (state == TcpState.CLOSED) {
                return;
            }
        }
        switch (state) {
            case FIN_WAIT_1 -> {
                if (finAcked()) {
                    setState(TcpState.FIN_WAIT_2);
                    if (appClosed) {
                        // RFC 9293 §3.10.7.4 leaves FIN_WAIT_2 open-ended; an orphan waits this long.
                        stack.timers.schedule(waitTimer, nowNs + stack.finWait2TimeoutNs);
                    }
                }
            }
            case CLOSING -> {
                if (finAcked()) {
                    enterTimeWait(nowNs);
                    return;
                }
            }
            case LAST_ACK -> {
                if (finAcked()) {
                    terminate(TcpError.NONE, nowNs);
                    return;
                }
            }
            case TIME_WAIT -> {
                // the only thing that can arrive is a retransmitted FIN: acknowledge, restart 2 MSL
                if ((flags & TcpHeader.FIN) != 0) {
                    ackNow = true;
                    stack.timers.schedule(waitTimer, nowNs + 2 * stack.mslNs);
                    output(nowNs);
                }
                return;
            }
            default -> {
            }
        }

        // sixth: URG is not supported; urgent data is delivered inline (RFC 6093 §3).
        // seventh and eighth: segment text and FIN
        processText(s, nowNs);
        if (state != TcpState.CLOSED) {
            output(nowNs);
        }
    }

    /** RFC 9293 §3.10.7.4 "seventh" (text) and "eighth" (FIN). */
    private void processText(SegmentView s, long nowNs) {
        int flags = s.flags;
        int seq = s.seq + ((flags & TcpHeader.SYN) != 0 ? 1 : 0);
        int length = s.dataLength;
        long at = s.dataOffset;
        boolean fin = (flags & TcpHeader.FIN) != 0;
        int finSeq = seq + length;
        if (length > 0) {
            if (state != TcpState.ESTABLISHED && state != TcpState.FIN_WAIT_1 && state != TcpState.FIN_WAIT_2) {
                return; // CLOSE_WAIT, CLOSING, LAST_ACK, TIME_WAIT: the peer sent FIN already; ignore
            }
            if (appClosed) {
                // RFC 9293 §3.10.7.4 / RFC 2525 §2.17: data nobody will read: reset.
                stack.counters.increment(TcpCounter.DROP_AFTER_CLOSE);
                stack.sendReset(remoteAddress, localAddress, localPort, remotePort, sndMax, 0, false, nowNs);
                terminate(TcpError.CONNECTION_ABORTED, nowNs);
                return;
            }
            int skip = rcvNxt - seq;
            if (skip > 0) {
                if (skip >= length) {
                    length = 0;
                } else {
                    at += skip;
                    length -= skip;
                    seq = rcvNxt;
                }
            }
            if (length > 0) {
                int offset = seq - rcvNxt;
                int space = rcvBuf.free();
                if (offset >= space) {
                    length = 0;
                    ackNow = true;
                } else {
                    if (length > space - offset) {
                        length = space - offset;
                        fin = false;
                    }
                    receiveData(s, at, seq, offset, length, nowNs);
                }
            } else {
                ackNow = true; // a duplicate: ACK at once so the peer learns rcvNxt
            }
        }
        // eighth: FIN, only when everything before it has arrived (an early FIN is dropped and resent)
        if (fin && finSeq == rcvNxt && !finReceived) {
            finReceived = true;
            rcvNxt++;
            ackNow = true;
            peerClosedPending = true;
            switch (state) {
                case SYN_RECEIVED, ESTABLISHED -> setState(TcpState.CLOSE_WAIT);
                case FIN_WAIT_1 -> {
                    if (finAcked()) {
                        enterTimeWait(nowNs);
                    } else {
                        setState(TcpState.CLOSING);
                    }
                }
                case FIN_WAIT_2 -> enterTimeWait(nowNs);
                default -> {
                }
            }
        } else if (fin && finReceived && lt(finSeq, rcvNxt)) {
            ackNow = true; // retransmitted FIN
        }
    }

    private void receiveData(SegmentView s, long at, int seq, int offset, int length, long nowNs) {
        // Zero-copy: the segment's own buffer joins rcvReady (the ring is empty and nothing waits
        // out of order, so there is no hole to fill); otherwise the payload is copied into the ring.
        boolean kept = offset == 0 && zeroCopyReceive && keepSegment(s.packet, at, length);
        if (!kept) {
            if (offset == 0 && zeroCopyReceive) {
                zcCopiedSegments++;
            }
            rcvBuf.writeAt(rcvBuf.length() + offset, s.segment, at, length);
        }
        if (offset == 0) {
            if (!kept) {
                rcvBuf.commit(length);
            }
            rcvNxt += length;
            int covered = ooo.coveredFrom(rcvNxt);
            if (covered != rcvNxt) {
                rcvBuf.commit(covered - rcvNxt);
                rcvNxt = covered;
            }
            boolean filledHole = ooo.count() > 0;
            ooo.removeBelow(rcvNxt);
            readablePending = true;
            // RFC 5681 §4.2: ACK at once when a segment fills (part of) a gap.
            if (filledHole || ooo.count() > 0) {
                ackNow = true;
            }
            unackedBytes += length;
            // RFC 9293 §3.8.6.3, RFC 1122 §4.2.3.2: at least every second full-sized segment. A
            // full-sized segment carries rcvMss less the timestamp option when timestamps are on
            // (1448, not 1460): counting against rcvMss alone waited for a third segment, and a
            // sender that paused after two met our delayed-ACK timer (seen as Linux loss probes).
            if (unackedBytes >= 2 * (rcvMss - (tsOk ? 12 : 0))) {
                ackNow = true;
            }
            if (quickAcks > 0) {
                quickAcks--;
                ackNow = true;
            }
            autoTune(length, nowNs);
            if (!ackNow && !delayedAckTimer.isScheduled()) {
                stack.timers.schedule(delayedAckTimer, nowNs + stack.delayedAckNs);
            }
        } else {
            int index = ooo.add(seq, seq + length);
            if (index == -1) {
                stack.counters.increment(TcpCounter.DROP_OUT_OF_ORDER_FULL);
            } else {
                oooRecentLeft = ooo.left(index);
                oooRecentRight = ooo.right(index);
            }
            ackNow = true; // RFC 5681 §4.2: out-of-order data gets an immediate (duplicate) ACK
        }
    }

    /**
     * Zero-copy receive of one in-order segment: keeps {@code packet} (a reference of its own,
     * data narrowed to the payload) at the tail of {@code rcvReady}. False if the segment must be
     * copied instead: no buffer, the ring holds data or out-of-order data waits (stream order), the
     * connection holds {@link #zcMaxBuffers} buffers already, or the payload would exceed the buffer
     * the window was computed from.
     */
    private boolean keepSegment(PacketBuffer packet, long at, int length) {
        // a reassembled datagram's large buffer is copied rather than pinned (those buffers are few)
        if (packet == null || packet.capacity() > MAX_KEPT_BUFFER_BYTES || rcvBuf.length() != 0 || ooo.count() != 0
                || rcvReadyCount + rcvLentCount >= zcMaxBuffers || length > rcvBuf.capacity() - rcvCharged()) {
            return false;
        }
        packet.retain();
        packet.setData((int) at, length);
        rcvReady[(rcvReadyHead + rcvReadyCount) % rcvReady.length] = packet;
        rcvReadyCount++;
        rcvReadyBytes += length;
        zcSegments++;
        return true;
    }

    /** Receive buffer bytes in use: ring, ready buffers and buffers lent to the application. */
    int rcvCharged() {
        return (rcvBuf == null ? 0 : rcvBuf.length()) + rcvReadyBytes + rcvLentBytes;
    }

    /** In-order bytes the application has not taken yet. */
    int rcvReadable() {
        return (rcvBuf == null ? 0 : rcvBuf.length()) + rcvReadyBytes;
    }

    /** Releases the buffers not yet taken (the application closed or aborted: nobody will read them). */
    void discardReady() {
        while (rcvReadyCount > 0) {
            PacketBuffer b = rcvReady[rcvReadyHead];
            rcvReady[rcvReadyHead] = null;
            rcvReadyHead = (rcvReadyHead + 1) % rcvReady.length;
            rcvReadyCount--;
            b.release();
        }
        rcvReadyBytes = 0;
    }

    /** After the application freed receive space: a window update if the window grew enough (RFC 9293 §3.8.6.2.2). */
    private void windowOpened(int windowBefore) {
        if (rcvBuf != null && state.isSynchronized() && state != TcpState.TIME_WAIT && !finReceived) {
            int free = Math.min(rcvBuf.capacity() - rcvCharged(), rcvWindowLimit - rcvCharged());
            if (free >= 2 * windowBefore && free - windowBefore >= rcvMss
                    && free - windowBefore >= Math.min(rcvBuf.capacity() / 2, rcvMss)) {
                sendAck(stack.nowNs());
            }
        }
    }

    long rcvEpochStartNs;
    long rcvEpochBytes;
    long rcvRttNs;

    /**
     * Receive window auto-tuning (after Linux's dynamic right-sizing): once per receiver-side RTT
     * (from timestamps, else our SRTT, else 100 ms) the window limit doubles when the peer
     * delivered at least half of it in that time, up to the receive buffer.
     */
    private void autoTune(int length, long nowNs) {
        rcvEpochBytes += length;
        long epochNs = rcvRttNs > 0 ? rcvRttNs : srttNs > 0 ? srttNs : 100_000_000L;
        if (nowNs - rcvEpochStartNs >= epochNs) {
            if (rcvEpochBytes >= rcvWindowLimit / 2 && rcvWindowLimit < rcvBuf.capacity()) {
                rcvWindowLimit = (int) Math.min(rcvBuf.capacity(), Math.max(2L * rcvWindowLimit, 2 * rcvEpochBytes));
            }
            rcvEpochBytes = 0;
            rcvEpochStartNs = nowNs;
        }
    }

    /** RFC 9293 §3.10.7.4 "fifth", ESTABLISHED and later: new ACKs, duplicates, window updates. */
    private void processAck(SegmentView s, long nowNs) {
        int ack = s.ack;
        long window = (long) s.window << sndShift;
        boolean newData = lt(sndUna, ack);
        long newlySacked = 0;
        if (sackOk && s.options.sackBlocks > 0) {
            // RFC 6675 §5: every ACK with SACK information updates the scoreboard (§4 Update()),
            // between the new HighACK and HighData (RFC 2018 §4: blocks beyond are ignored)
            int una = newData ? ack : sndUna;
            for (int i = 0; i < s.options.sackBlocks; i++) {
                newlySacked += scoreboard.update(una, sndMax, s.options.sackEdges[2 * i], s.options.sackEdges[2 * i + 1]);
            }
        }
        boolean windowChanged = window != sndWnd;
        // RFC 9293 §3.10.7.4: update the window if SND.WL1 < SEG.SEQ or (= and SND.WL2 <= SEG.ACK)
        if (lt(sndWl1, s.seq) || (sndWl1 == s.seq && le(sndWl2, ack))) {
            sndWnd = window;
            maxSndWnd = Math.max(maxSndWnd, window);
            sndWl1 = s.seq;
            sndWl2 = ack;
        }
        if (newData) {
            long flight = flightBytes();
            long acked = ackReceived(ack, nowNs);
            onNewAck(acked, flight, nowNs); // RFC 6675 §5: a cumulative ACK resets DupAcks
        }
        // RFC 5681 §2 "DUPLICATE ACKNOWLEDGMENT"
        boolean duplicate = !newData && ack == sndUna && s.dataLength == 0
                && (s.flags & (TcpHeader.SYN | TcpHeader.FIN)) == 0 && sndMax != sndUna && !windowChanged;
        if (sackOk) {
            // RFC 6675 §2: with SACK, an ACK is a duplicate when it SACKs octets not SACKed before,
            // whether or not it also moves SND.UNA; a peer that sends no SACK blocks is counted as
            // RFC 5681 says.
            if (newlySacked > 0 || (duplicate && s.options.sackBlocks == 0)) {
                onDuplicateAck(nowNs);
            }
            if (inRecovery && newlySacked > 0) {
                int lost = scoreboard.detectLostRetransmissions(sndUna);
                if (lost > 0) {
                    stack.counters.add(TcpCounter.LOST_RETRANSMITS, lost);
                }
            }
        } else if (duplicate) {
            onDuplicateAck(nowNs);
        }
        if (sndWnd > 0 && persisting) {
            persisting = false;
            persistBackoff = 0;
            stack.timers.cancel(retransmitTimer);
        }
    }

    /** Moves SND.UNA to {@code ack}; frees acknowledged data; takes the RTT sample. Returns bytes acked. */
    private long ackReceived(int ack, long nowNs) {
        long acked = ack - sndUna;
        int ackedData = ack - sndBase;
        if (ackedData > 0) {
            int n = Math.min(ackedData, sendBuf.length());
            sendBuf.discard(n);
            int queued = Math.min(ackedData - n, zcqBytes);
            if (queued > 0) {
                releaseAcked(queued);
                n += queued;
            }
            sndBase += n;
            if (writeBlocked && n > 0) {
                writeBlocked = false;
                writablePending = true;
            }
        }
        sndUna = ack;
        if (lt(sndNxt, sndUna)) {
            sndNxt = sndUna;
        }
        // RFC 6298 §3 (Karn): only segments never retransmitted are timed.
        if (rttTiming && le(rttSeq, ack)) {
            rttTiming = false;
            rttSample(nowNs - rttStartNs);
        }
        retries = 0;
        scoreboard.acknowledged(ack);
        // RFC 6298 §5.2-5.3: all acknowledged: stop the timer; else restart it.
        if (sndUna == sndMax) {
            stack.timers.cancel(retransmitTimer);
        } else if (!persisting) {
            stack.timers.schedule(retransmitTimer, nowNs + rtoNs);
        }
        return acked;
    }

    boolean writablePending;

    /** RFC 6298 §2.2-2.3 and §2.4 (bounds). */
    void rttSample(long rttNs) {
        if (rttNs < 0) {
            return;
        }
        if (srttNs == 0) {
            srttNs = rttNs;
            rttvarNs = rttNs / 2;
        } else {
            long delta = Math.abs(srttNs - rttNs);
            rttvarNs = (3 * rttvarNs + delta) / 4;   // beta = 1/4
            srttNs = (7 * srttNs + rttNs) / 8;       // alpha = 1/8
        }
        long granularity = stack.timers.tickNs();
        rtoNs = clampRto(srttNs + Math.max(granularity, 4 * rttvarNs));
        lastRttNs = rttNs;
    }

    long lastRttNs = -1;

    long clampRto(long ns) {
        return Math.max(stack.rtoMinNs, Math.min(stack.rtoMaxNs, ns));
    }

    long backedOffRto() {
        return clampRto(rtoNs);
    }

    private void onNewAck(long acked, long flightBefore, long nowNs) {
        dupAcks = 0;
        long sample = lastRttNs;
        lastRttNs = -1;
        if (inRecovery) {
            if (le(recover, sndUna)) {
                // RFC 6582 §3.2 step 3, RFC 6675 §5 (A): an ACK covering RecoveryPoint ends recovery;
                // the SACK information above it is kept
                inRecovery = false;
                scoreboard.endRecovery(sndUna);
                cc.onExitRecovery(flightBytes(), nowNs);
            } else {
                // RFC 6582 §3.2 step 3: partial acknowledgment: retransmit the first unacknowledged segment
                if (!sackOk) {
                    retransmitFirst(nowNs);
                }
            }
        } else if (cc != null) {
            cc.onAck(acked, sample, flightBefore, nowNs);
        }
    }

    /**
     * RFC 6675 §5 for a duplicate ACK outside recovery (with SACK), RFC 5681 §3.2 and RFC 6582 §3.2
     * without. Inside recovery only NewReno uses the count (pipe, {@link #pipe()}).
     */
    private void onDuplicateAck(long nowNs) {
        dupAcks++;
        if (inRecovery) {
            return; // RFC 6675 §5 (B)-(C): output() sends what pipe allows
        }
        // RFC 6675 §5 steps (1) DupAcks >= DupThresh and (2) IsLost(HighACK + 1)
        boolean lost = dupAcks >= DUP_THRESH || (sackOk && scoreboard.isLost(sndUna, sndUna, mss));
        // RFC 6582 §3.2 step 2, RFC 6675 §5.1: not before HighACK reaches the RecoveryPoint of an
        // earlier recovery or timeout (the ACK must cover HighData as it was then)
        if (!lost || lt(sndUna, recover)) {
            return; // RFC 6675 §5 step (3): limited transmit, by pipe in output()
        }
        // RFC 6675 §5 step (4)
        inRecovery = true;
        recover = sndMax; // (4.1) RecoveryPoint = HighData
        cc.onEnterRecovery(flightBytes(), nowNs); // (4.2) ssthresh = cwnd = FlightSize / 2 (by the algorithm)
        if (!sackOk) {
            stack.counters.increment(TcpCounter.FAST_RETRANSMITS);
            retransmitFirst(nowNs);
            return;
        }
        stack.counters.increment(TcpCounter.SACK_RECOVERIES);
        // (4.3) retransmit the segment at HighACK + 1; HighRxt and RescueRxt to its end
        scoreboard.endRecovery(sndUna);
        if (scoreboard.result(sndUna, sndMax, mss, SackScoreboard.RULE_LOST)) {
            sendRecovery(scoreboard.start, scoreboard.end, nowNs);
            scoreboard.highRxt = max(scoreboard.highRxt, scoreboard.end);
            scoreboard.rescueRxt = scoreboard.highRxt;
            scoreboard.logRetransmission(scoreboard.start, scoreboard.end, sndMax);
        }
        stack.timers.schedule(retransmitTimer, nowNs + backedOffRto());
        // (4.4)-(4.5): SetPipe and step (C) run in output()
    }

    /** Retransmits the segment at SND.UNA (fast retransmit, NewReno partial ACK). */
    private void retransmitFirst(long nowNs) {
        int length = Math.min(mss, dataEnd() - sndUna);
        if (length < 0) {
            length = 0;
        }
        if (length == 0 && !finQueued) {
            return;
        }
        sendData(sndUna, length, nowNs, true);
        stack.timers.schedule(retransmitTimer, nowNs + backedOffRto());
    }

    /** Retransmits {@code [from, to)} in SACK recovery; {@code to} may include the FIN's octet. */
    private void sendRecovery(int from, int to, long nowNs) {
        int dataEnd = dataEnd();
        int length = Math.max(0, (lt(dataEnd, to) ? dataEnd : to) - from);
        sendData(from, length, nowNs, true);
        stack.counters.increment(TcpCounter.SACK_RETRANSMITS);
    }

    /**
     * RFC 6675 §5 step (C) once: NextSeg() (§4) and send its segment. Returns whether one went out.
     * The lost-retransmission extension ({@link SackScoreboard}) comes before rule (1): those
     * octets are the oldest holes.
     */
    private boolean sendNextSegment(long nowNs) {
        SackScoreboard board = scoreboard;
        if (board.nextLostRetransmit(sndUna, sndMax, mss) || board.nextLost(sndUna, sndMax, mss)) {
            // rule (1); (C.2) HighRxt to the end of the retransmission (it only grows)
            int from = board.start;
            int to = board.end;
            sendRecovery(from, to, nowNs);
            if (board.rule == SackScoreboard.RULE_LOST_RETRANSMIT) {
                board.lostRetransmits.removeBelow(to);
            }
            board.highRxt = max(board.highRxt, to);
            board.logRetransmission(from, to, sndMax);
            return true;
        }
        // rule (2): one segment of new data if there is some and the peer's window allows ((C.3) in sendData)
        if (sendNew(nowNs, Long.MAX_VALUE, true)) {
            return true;
        }
        if (board.nextUnsacked(sndUna, sndMax, mss)) {
            // rule (3): an unSACKed octet above HighRxt below the highest SACKed one, not yet lost
            int from = board.start;
            int to = board.end;
            sendRecovery(from, to, nowNs);
            board.highRxt = max(board.highRxt, to);
            board.logRetransmission(from, to, sndMax);
            return true;
        }
        if (board.nextRescue(sndUna, sndMax, mss)) {
            // rule (4): the rescue retransmission, once per recovery; HighRxt stays
            sendRecovery(board.start, board.end, nowNs);
            board.rescued(recover);
            stack.counters.increment(TcpCounter.RESCUE_RETRANSMITS);
            return true;
        }
        return false; // rule (5)
    }

    // =================================================================== output

    /**
     * Octets believed in the network. In SACK recovery RFC 6675 §4 SetPipe(); outside it the
     * unSACKed octets below SND.NXT (RFC 6675 §5 step (3.2) with HighRxt = HighACK, where no octet
     * is lost yet; after a timeout, what has been sent again). Without SACK: FlightSize, in
     * recovery less one segment per duplicate ACK (the NewReno inflation of RFC 6582 as pipe).
     */
    long pipe() {
        if (!sackOk) {
            long outstanding = inRecovery ? flightBytes() : (long) (sndNxt - sndUna);
            return inRecovery ? Math.max(0, outstanding - (long) dupAcks * mss) : outstanding;
        }
        if (inRecovery) {
            return scoreboard.pipe(sndUna, sndMax, mss);
        }
        return scoreboard.unsacked(sndUna, sndNxt);
    }

    /** Sends what the windows, Nagle and SWS avoidance allow, then a pure ACK if one is owed. */
    void output(long nowNs) {
        if (state == TcpState.SYN_SENT || state == TcpState.SYN_RECEIVED) {
            if (ackNow && state == TcpState.SYN_RECEIVED) {
                ackNow = false;
            }
            return;
        }
        if (state == TcpState.CLOSED || state == TcpState.LISTEN) {
            return;
        }
        int sent = 0;
        if (state != TcpState.TIME_WAIT) {
            long cwnd = cc.cwndBytes();
            while (sent < 64) {
                if (inRecovery && sackOk) {
                    // RFC 6675 §5 step (C): while cwnd - pipe >= 1 SMSS, send what NextSeg() names
                    if (cwnd - pipe() < mss || !sendNextSegment(nowNs)) {
                        break;
                    }
                    sent++;
                    continue;
                }
                if (!sendNew(nowNs, cwnd - pipe(), false)) {
                    break;
                }
                sent++;
            }
        }
        if (ackNow) {
            sendAck(nowNs);
        }
    }

    /**
     * Sends one segment of data from SND.NXT (after an RTO that is a retransmission), or the FIN.
     * Applies the receive window, {@code ccLimit}, Nagle (RFC 9293 §3.7.4) and sender SWS
     * avoidance (§3.8.6.2.1). Returns whether a segment went out.
     */
    private boolean sendNew(long nowNs, long ccLimit, boolean oneSegment) {
        if (!state.canSend() && state != TcpState.FIN_WAIT_1 && state != TcpState.CLOSING
                && state != TcpState.LAST_ACK) {
            return false;
        }
        int dataEnd = dataEnd();
        if (sackOk && lt(sndNxt, sndMax)) {
            // RFC 6675 §5.1: after a timeout, fill in only what the SACKs since then report missing
            int skipTo = scoreboard.firstUnsacked(sndNxt);
            if (skipTo != sndNxt) {
                sndNxt = lt(sndMax, skipTo) ? sndMax : skipTo;
            }
        }
        int unsent = lt(sndNxt, dataEnd) ? dataEnd - sndNxt : 0;
        long windowRoom = (long) (sndUna - sndNxt) + sndWnd;
        boolean retransmission = lt(sndNxt, sndMax);
        if (retransmission && sackOk) {
            unsent = Math.min(unsent, scoreboard.sacked.nextLeftAbove(sndNxt, sndNxt + unsent) - sndNxt);
        }
        if (unsent == 0) {
            if (finQueued && sndNxt == dataEnd) {
                sendData(sndNxt, 0, nowNs, retransmission); // FIN alone
                return true;
            }
            return false;
        }
        long room = Math.min(windowRoom, ccLimit);
        if (oneSegment) {
            room = Math.min(windowRoom, mss);
        }
        // With segmentation offload one segment may carry several MSS (TcpStack.maxSendBytes);
        // cut to whole MSS unless it takes all that is queued, so no short segment lands mid-stream.
        int maxLength = oneSegment ? mss : stack.maxSendBytes(this);
        int length = (int) Math.max(0, Math.min(Math.min(room, maxLength), unsent));
        if (length > mss && length < unsent) {
            length -= length % mss;
        }
        if (length == 0) {
            if (sndWnd == 0 || windowRoom <= 0) {
                armPersist(nowNs);
            }
            return false;
        }
        if (length < mss && !retransmission) {
            boolean allQueued = length == unsent;
            boolean idle = sndNxt == sndUna;
            boolean halfWindow = maxSndWnd > 0 && length >= maxSndWnd / 2;
            // Nagle: a short segment only when nothing is in flight (or no-delay); SWS: or half the max window
            boolean nagleOk = allQueued && (noDelay || idle || finQueued);
            if (!nagleOk && !halfWindow) {
                if (windowRoom < mss && idle) {
                    armPersist(nowNs);
                }
                return false;
            }
        }
        if (!retransmission && sndUna == sndMax && lastSendNs != 0 && nowNs - lastSendNs > rtoNs && cc != null) {
            cc.onIdleRestart(nowNs); // RFC 5681 §4.1: idle for more than an RTO: restart window
        }
        sendData(sndNxt, length, nowNs, retransmission);
        return true;
    }

    long lastSendNs;

    private void armPersist(long nowNs) {
        if (sndUna == sndMax && !retransmitTimer.isScheduled()) {
            persisting = true;
            long delay = clampRto(rtoNs << Math.min(persistBackoff, 10));
            stack.timers.schedule(retransmitTimer, nowNs + Math.max(delay, stack.rtoMinNs));
        }
    }

    /** Sends data {@code [seq, seq+length)} (plus FIN if it ends the stream) and updates send state. */
    void sendData(int seq, int length, long nowNs, boolean retransmission) {
        int flags = TcpHeader.ACK;
        boolean fin = finQueued && seq + length == dataEnd();
        if (fin) {
            flags |= TcpHeader.FIN;
        }
        if (length > 0 && seq + length == dataEnd()) {
            flags |= TcpHeader.PSH;
        }
        int sent = emitData(seq, length, flags, nowNs);
        if (sent < 0) {
            if (!retransmitTimer.isScheduled()) {
                stack.timers.schedule(retransmitTimer, nowNs + backedOffRto());
            }
            return;
        }
        if (sent < length) {
            length = sent; // the segment carried less (no large buffer free): the rest, and the FIN, later
            fin = false;
        }
        lastSendNs = nowNs;
        int end = seq + length + (fin ? 1 : 0);
        if (retransmission || lt(seq, sndMax)) {
            retransmits++;
            stack.counters.increment(TcpCounter.RETRANS_SEGS);
            if (rttTiming && lt(seq, rttSeq)) {
                rttTiming = false; // Karn
            }
        } else if (!rttTiming && length > 0) {
            rttTiming = true;
            rttSeq = end;
            rttStartNs = nowNs;
        }
        if (seq == sndNxt || lt(sndNxt, end) && le(seq, sndNxt)) {
            sndNxt = end;
        }
        if (lt(sndMax, end)) {
            sndMax = end;
        }
        if (!retransmitTimer.isScheduled() || persisting) {
            persisting = false;
            stack.timers.schedule(retransmitTimer, nowNs + backedOffRto());
        }
    }

    /**
     * A pure ACK carries the highest sequence number sent: after an RTO SND.NXT goes back to
     * SND.UNA, and a zero-length segment below the peer's RCV.NXT would fail its acceptability test.
     */
    void sendAck(long nowNs) {
        emit(sndMax, 0, TcpHeader.ACK, nowNs);
    }

    /**
     * Sends one data segment; returns the data bytes it carried, or -1 if none went out. The first
     * transmission of a queued zero-copy buffer, from its start, goes out in the buffer itself when
     * the buffer holds the whole segment or at least a full MSS (then that MSS is sent alone, even
     * where segmentation offload would have taken more: without scatter-gather, offload means a
     * copy): the stack keeps its own reference for retransmission and hands one to the network
     * layer. Everything else is copied into a fresh buffer: a retransmission may not reuse the
     * original, which can still sit in a device's TX ring (or an ARP queue) with the previous
     * headers in front of the payload.
     */
    private int emitData(int seq, int length, int flags, long nowNs) {
        if (zcqCount > 0 && length > 0 && le(sndMax, seq)) {
            int i = zcqStartingAt(seq);
            int zcLength = i < 0 ? 0 : Math.min(length, Math.min(zcqLength[i], mss));
            if (i >= 0 && (zcLength == length || zcLength == mss)
                    && zcqOffset[i] >= MAX_HEADER + stack.network.headroom()) {
                if (zcLength < length) {
                    flags &= ~(TcpHeader.FIN | TcpHeader.PSH); // the rest, and the FIN, follow later
                }
                PacketBuffer b = zcq[i];
                b.retain(); // the network layer takes this reference; the queue keeps its own
                zcSentSegments++;
                return stack.emit(this, seq, zcLength, flags, b, zcqOffset[i], nowNs);
            }
            if (le(sndBase + sendBuf.length(), seq)) {
                zcCopiedSendSegments++;
            }
        }
        return stack.emit(this, seq, length, flags, nowNs);
    }

    /** The slot of the queued buffer that starts exactly at {@code seq}, or -1. Amortized O(1) for rising seq. */
    private int zcqStartingAt(int seq) {
        int capacity = zcq.length;
        if (zcqCursor < 0 || lt(seq, zcqCursorSeq)) {
            zcqCursor = zcqHead;
            zcqCursorSeq = sndBase + sendBuf.length();
        }
        while (true) {
            if ((zcqCursor - zcqHead + capacity) % capacity >= zcqCount) {
                zcqCursor = -1;
                return -1;
            }
            if (zcqCursorSeq == seq) {
                return zcqCursor;
            }
            int end = zcqCursorSeq + zcqLength[zcqCursor];
            if (lt(seq, end)) {
                return -1; // inside this buffer, not at its start
            }
            zcqCursorSeq = end;
            zcqCursor = (zcqCursor + 1) % capacity;
        }
    }

    /** Copies stored send data {@code [seq, seq + length)} (ring, then queued buffers) to {@code dst}. */
    void copySendData(int seq, MemorySegment dst, long at, int length) {
        int ringLength = sendBuf.length();
        int offset = seq - sndBase;
        if (offset < ringLength) {
            int k = Math.min(length, ringLength - offset);
            sendBuf.copyOut(offset, dst, at, k);
            at += k;
            length -= k;
            offset += k;
        }
        offset -= ringLength;
        int capacity = zcq == null ? 1 : zcq.length;
        int i = zcqHead;
        for (int c = 0; c < zcqCount && length > 0; c++) {
            int l = zcqLength[i];
            if (offset >= l) {
                offset -= l;
            } else {
                int k = Math.min(l - offset, length);
                MemorySegment.copy(zcq[i].segment(), zcqOffset[i] + offset, dst, at, k);
                at += k;
                length -= k;
                offset = 0;
            }
            i = (i + 1) % capacity;
        }
    }

    /** Drops {@code bytes} acknowledged from the head of the zero-copy queue, releasing whole buffers. */
    private void releaseAcked(int bytes) {
        zcqBytes -= bytes;
        while (bytes > 0) {
            int head = zcqHead;
            if (zcqCursor == head) {
                zcqCursor = -1;
            }
            int l = zcqLength[head];
            if (bytes >= l) {
                PacketBuffer b = zcq[head];
                zcq[head] = null;
                zcqHead = (head + 1) % zcq.length;
                zcqCount--;
                bytes -= l;
                b.release();
            } else {
                zcqOffset[head] += bytes;
                zcqLength[head] -= bytes;
                bytes = 0;
            }
        }
    }

    /** Releases every queued send buffer (the connection is gone). */
    void releaseSendQueue() {
        while (zcqCount > 0) {
            PacketBuffer b = zcq[zcqHead];
            zcq[zcqHead] = null;
            zcqHead = (zcqHead + 1) % zcq.length;
            zcqCount--;
            b.release();
        }
        zcqBytes = 0;
        zcqCursor = -1;
    }

    private void emit(int seq, int length, int flags, long nowNs) {
        stack.emit(this, seq, length, flags, nowNs);
    }

    /** Called by the stack after a segment with ACK went out. */
    void ackSent() {
        lastAckSent = rcvNxt;
        ackNow = false;
        unackedBytes = 0;
        if (delayedAckTimer.isScheduled()) {
            stack.timers.cancel(delayedAckTimer);
        }
    }

    /**
     * The window to advertise (RFC 9293 §3.8.6.2.2 receiver SWS avoidance: the right edge moves only
     * by at least min(buffer/2, MSS); it never moves left, RFC 9293 §3.8.6).
     */
    int windowField(boolean syn) {
        int charged = rcvCharged(); // zero-copy: buffers ready or lent count like ring bytes
        // TIME_WAIT gave its ring back (TcpStack#releaseBuffersForTimeWait): no room, the edge stays
        int capacity = rcvBuf == null ? 0 : rcvBuf.capacity();
        int free = Math.min(capacity - charged, rcvWindowLimit - charged);
        if (free < 0) {
            free = 0;
        }
        int candidate = rcvNxt + free;
        int threshold = Math.min(capacity / 2, rcvMss);
        if (lt(rcvAdvRight, candidate) && (candidate - rcvAdvRight >= threshold || rcvAdvRight == rcvNxt && free > 0
                && free >= Math.min(threshold, capacity - charged))) {
            rcvAdvRight = candidate;
        }
        int window = Math.max(0, rcvAdvRight - rcvNxt);
        if (syn) {
            int field = Math.min(window, 65_535);
            rcvAdvRight = max(rcvAdvRight, rcvNxt + field);
            return field;
        }
        int field = Math.min(65_535, window >>> rcvShift);
        return field;
    }

    // =================================================================== timers

    void onRetransmitTimer(long nowNs) {
        if (persisting) {
            // RFC 9293 §3.8.6.1 zero-window probe; as Linux: an old byte (SND.UNA - 1) elicits the window
            persisting = false;
            persistBackoff++;
            stack.counters.increment(TcpCounter.ZERO_WINDOW_PROBES);
            emit(sndUna - 1, 0, TcpHeader.ACK, nowNs);
            if (sndWnd == 0 && sndUna == sndMax && lt(sndNxt, dataEnd())) {
                armPersist(nowNs);
            } else {
                output(nowNs);
            }
            return;
        }
        stack.counters.increment(TcpCounter.TIMEOUTS);
        retries++;
        // RFC 6298 §5.5: back off
        rtoNs = clampRto(rtoNs * 2);
        if (state == TcpState.SYN_SENT || state == TcpState.SYN_RECEIVED) {
            if (retries > stack.synRetries) {
                if (passive) {
                    stack.dropEmbryonic(this);
                } else {
                    stack.counters.increment(TcpCounter.ATTEMPT_FAILS);
                    terminate(softError != null ? softError : TcpError.TIMED_OUT, nowNs);
                }
                return;
            }
            retransmits++;
            stack.counters.increment(TcpCounter.RETRANS_SEGS);
            sndNxt = iss;
            rttTiming = false;
            sendSyn(nowNs);
            return;
        }
        if (sndUna == sndMax) {
            return;
        }
        if (retries > stack.maxRetries) {
            terminate(TcpError.TIMED_OUT, nowNs);
            return;
        }
        // RFC 5681 §3.1 eq. 4 via the algorithm; RFC 6582 §3.2 step 4 / RFC 6675 §5.1: leave recovery
        cc.onRetransmissionTimeout(flightBytes(), nowNs);
        // RFC 6675 §5.1: RecoveryPoint = HighData; no new recovery before HighACK reaches it
        inRecovery = false;
        recover = sndMax;
        dupAcks = 0;
        // RFC 6675 §5.1 keeps RFC 2018 §8: the receiver may have reneged, so SACK information is
        // expunged; what is SACKed from now on is skipped when going back (sendNew)
        scoreboard.reset(sndUna);
        rttTiming = false;
        sndNxt = sndUna; // go back: everything from SND.UNA is sent again as the window allows
        int length = Math.min(mss, Math.max(0, dataEnd() - sndUna));
        sendData(sndUna, length, nowNs, true);
        stack.timers.schedule(retransmitTimer, nowNs + backedOffRto());
    }

    void onDelayedAckTimer(long nowNs) {
        if (state.isSynchronized() || state == TcpState.SYN_RECEIVED) {
            stack.counters.increment(TcpCounter.DELAYED_ACKS);
            sendAck(nowNs);
        }
    }

    void armKeepAlive(long nowNs) {
        if (keepAlive && state.isSynchronized() && state != TcpState.TIME_WAIT) {
            stack.timers.schedule(keepAliveTimer, lastReceiveNs + keepIdleNs);
        } else {
            stack.timers.cancel(keepAliveTimer);
        }
    }

    /** RFC 9293 §3.8.4, RFC 1122 §4.2.3.6: probe an idle connection; give up after keepCount probes. */
    void onKeepAliveTimer(long nowNs) {
        if (!keepAlive || !state.isSynchronized() || state == TcpState.TIME_WAIT) {
            return;
        }
        long idleNs = nowNs - lastReceiveNs;
        if (keepProbes == 0 && idleNs < keepIdleNs) {
            stack.timers.schedule(keepAliveTimer, lastReceiveNs + keepIdleNs);
            return;
        }
        if (keepProbes >= keepCount) {
            terminate(TcpError.TIMED_OUT, nowNs);
            return;
        }
        keepProbes++;
        stack.counters.increment(TcpCounter.KEEPALIVE_PROBES);
        emit(sndUna - 1, 0, TcpHeader.ACK, nowNs); // SEG.SEQ = SND.NXT - 1, no data (RFC 1122 §4.2.3.6)
        stack.timers.schedule(keepAliveTimer, nowNs + keepIntervalNs);
    }

    void onWaitTimer(long nowNs) {
        switch (state) {
            case TIME_WAIT, FIN_WAIT_2 -> terminate(TcpError.NONE, nowNs);
            default -> {
                if (appClosed && lingerMs > 0) {
                    abortWith(TcpError.CONNECTION_ABORTED, nowNs); // linger expired with data unsent
                }
            }
        }
    }

    void enterTimeWait(long nowNs) {
        setState(TcpState.TIME_WAIT);
        stack.timers.cancel(retransmitTimer);
        stack.timers.cancel(keepAliveTimer);
        stack.timers.schedule(waitTimer, nowNs + 2 * stack.mslNs);
        ackNow = true;
        notifyClosed(TcpError.NONE);
        stack.releaseBuffersForTimeWait(this);
    }

    // =================================================================== ending

    /** Deletes the TCB (RFC 9293 "enter CLOSED, delete the TCB") and reports {@code reason}. */
    void terminate(TcpError reason, long nowNs) {
        if (state == TcpState.CLOSED) {
            return;
        }
        if (reason != TcpError.NONE && error == TcpError.NONE) {
            error = reason;
        }
        setState(TcpState.CLOSED);
        stack.timers.cancel(retransmitTimer);
        stack.timers.cancel(delayedAckTimer);
        stack.timers.cancel(keepAliveTimer);
        stack.timers.cancel(waitTimer);
        stack.remove(this);
        notifyClosed(reason);
        stack.ended(this);
    }

    private void notifyClosed(TcpError reason) {
        if (closedNotified) {
            return;
        }
        if (reason != TcpError.NONE && error == TcpError.NONE) {
            error = reason;
        }
        if (handler != null) {
            closedNotified = true;
            deliverEvents();
            if (!closedDelivered) {
                closedDelivered = true;
                handler.onClosed(handle, reason);
            }
        } else if (!inAcceptQueue) {
            closedNotified = true;
        }
    }

    void abortWith(TcpError reason, long nowNs) {
        if (state == TcpState.CLOSED) {
            return;
        }
        // RFC 9293 §3.10.5 ABORT: <SEQ=SND.NXT><CTL=RST> in synchronized states
        if (state != TcpState.SYN_SENT && state != TcpState.TIME_WAIT) {
            stack.sendReset(remoteAddress, localAddress, localPort, remotePort, sndMax, 0, false, nowNs);
        }
        if (state == TcpState.ESTABLISHED || state == TcpState.CLOSE_WAIT) {
            stack.counters.increment(TcpCounter.ESTAB_RESETS);
        }
        terminate(reason, nowNs);
    }

    /** Runs the callbacks owed after processing; handlers may close or abort from inside. */
    void deliverEvents() {
        TcpHandler h = handler;
        if (h == null || closedDelivered) {
            return;
        }
        if (connectedPending) {
            connectedPending = false;
            h.onConnected(handle);
        }
        if (readablePending && !closedDelivered && rcvReadable() > 0) {
            readablePending = false;
            h.onReadable(handle);
        }
        if (peerClosedPending && !closedDelivered) {
            peerClosedPending = false;
            h.onPeerClosed(handle);
        }
        if (writablePending && !closedDelivered && state.canSend()) {
            writablePending = false;
            h.onWritable(handle);
        }
    }

    /** onClosed has run: no callback may follow it. */
    boolean closedDelivered;

    // =================================================================== TcpConnection

    @Override
    public TcpState state() {
        return state;
    }

    @Override
    public TcpError error() {
        return error;
    }

    @Override
    public int localAddress() {
        return localAddress;
    }

    @Override
    public int localPort() {
        return localPort;
    }

    @Override
    public int remoteAddress() {
        return remoteAddress;
    }

    @Override
    public int remotePort() {
        return remotePort;
    }

    @Override
    public void setHandler(TcpHandler handler) {
        this.handler = handler;
        if (handler != null) {
            if (rcvReadable() > 0) {
                readablePending = true;
            }
            deliverEvents();
            if (state == TcpState.CLOSED && !closedDelivered) {
                closedNotified = true;
                closedDelivered = true;
                handler.onClosed(handle, error);
            }
        }
    }

    @Override
    public int send(MemorySegment src, long offset, int length) {
        if (outputShut || !(state.canSend() || state == TcpState.SYN_SENT || state == TcpState.SYN_RECEIVED)) {
            return -1;
        }
        if (zcqCount > 0) {
            writeBlocked = true; // behind queued zero-copy buffers: wait until they are acknowledged
            return 0;
        }
        int n = sendBuf.append(src, offset, Math.min(length, sendBuf.free() - zcqBytes));
        if (n < length) {
            writeBlocked = true;
        }
        if (n > 0 && state.canSend()) {
            output(stack.nowNs());
        }
        return n;
    }

    @Override
    public int send(PacketBuffer data) {
        if (outputShut || !(state.canSend() || state == TcpState.SYN_SENT || state == TcpState.SYN_RECEIVED)) {
            data.release();
            return -1;
        }
        int length = data.length();
        if (length == 0) {
            data.release();
            return 0;
        }
        if (zcq == null) {
            // once per connection: room for a send buffer's worth of MSS-sized buffers
            int slots = Math.clamp(sendBuf.capacity() / 512, 16, 4096);
            zcq = new PacketBuffer[slots];
            zcqOffset = new int[slots];
            zcqLength = new int[slots];
        }
        // an empty queue takes any buffer (at most one buffer beyond the send buffer size): no deadlock
        boolean empty = zcqCount == 0 && sendBuf.length() == 0;
        if (zcqCount == zcq.length || (sendBuf.free() - zcqBytes < length && !empty)) {
            writeBlocked = true;
            return 0; // not taken: the caller keeps it and waits for onWritable
        }
        int slot = (zcqHead + zcqCount) % zcq.length;
        zcq[slot] = data;
        zcqOffset[slot] = data.offset();
        zcqLength[slot] = length;
        zcqCount++;
        zcqBytes += length;
        if (state.canSend()) {
            output(stack.nowNs());
        }
        return length;
    }

    @Override
    public PacketBuffer allocate() {
        PacketBuffer b = stack.network.allocate(remoteAddress);
        if (b != null) {
            b.setData(b.offset() + MAX_HEADER, 0); // room for the TCP header, options included
        }
        return b;
    }

    @Override
    public int maxSegmentBytes() {
        return mss;
    }

    @Override
    public int writableBytes() {
        if (sendBuf == null || outputShut) {
            return 0;
        }
        int free = sendBuf.free() - zcqBytes;
        if (free <= 0) {
            writeBlocked = true;
            return 0;
        }
        return free;
    }

    @Override
    public int sendQueueBytes() {
        return sendBuf == null ? 0 : sendBuf.length() + zcqBytes;
    }

    @Override
    public int receive(MemorySegment dst, long offset, int max) {
        if (rcvBuf == null && rcvReadyCount == 0) {
            return -1;
        }
        int available = rcvReadable();
        if (available == 0) {
            if (finReceived || state == TcpState.CLOSED) {
                eofDelivered = true;
                return -1;
            }
            return 0;
        }
        int before = Math.max(0, rcvAdvRight - rcvNxt);
        int n = 0;
        // zero-copy buffers come first in the stream; a copying receive drains them too
        while (n < max && rcvReadyCount > 0) {
            PacketBuffer b = rcvReady[rcvReadyHead];
            int k = Math.min(b.length(), max - n);
            MemorySegment.copy(b.segment(), b.offset(), dst, offset + n, k);
            n += k;
            rcvReadyBytes -= k;
            b.advance(k);
            if (b.length() == 0) {
                rcvReady[rcvReadyHead] = null;
                rcvReadyHead = (rcvReadyHead + 1) % rcvReady.length;
                rcvReadyCount--;
                b.release();
            }
        }
        if (n < max && rcvBuf != null && rcvBuf.length() > 0) {
            int k = Math.min(rcvBuf.length(), max - n);
            rcvBuf.copyOut(0, dst, offset + n, k);
            rcvBuf.discard(k);
            n += k;
        }
        // Window update when the window at least doubles and grows by an MSS (RFC 9293 §3.8.6.2.2)
        windowOpened(before);
        return n;
    }

    @Override
    public int readableBytes() {
        return rcvReadable();
    }

    @Override
    public void setZeroCopyReceive(boolean enabled) {
        if (enabled && zcMaxBuffers == 0 && rcvBuf != null) {
            // control path, once per connection: room for the most buffers one connection may pin
            // (a pooled Tcb keeps its arrays when the size fits)
            zcMaxBuffers = Math.clamp(rcvBuf.capacity() / 1024, 8, 256);
            if (rcvReady == null || rcvReady.length != zcMaxBuffers) {
                rcvReady = new PacketBuffer[zcMaxBuffers];
                rcvLent = new PacketBuffer[zcMaxBuffers];
                rcvLentLength = new int[zcMaxBuffers];
            }
        }
        zeroCopyReceive = enabled && zcMaxBuffers > 0;
    }

    @Override
    public boolean zeroCopyReceive() {
        return zeroCopyReceive;
    }

    @Override
    public PacketBuffer receiveBuffer() {
        if (rcvReadyCount > 0) {
            PacketBuffer b = rcvReady[rcvReadyHead];
            rcvReady[rcvReadyHead] = null;
            rcvReadyHead = (rcvReadyHead + 1) % rcvReady.length;
            rcvReadyCount--;
            int length = b.length();
            rcvReadyBytes -= length;
            // still charged to the window until released; rcvLent has room: ready + lent <= zcMaxBuffers
            rcvLent[rcvLentCount] = b;
            rcvLentLength[rcvLentCount] = length;
            rcvLentCount++;
            rcvLentBytes += length;
            return b;
        }
        if (rcvBuf == null || rcvBuf.length() == 0) {
            return null;
        }
        // Data that went through the ring (out of order, or behind it): copied into a fresh buffer.
        PacketBuffer b = stack.network.allocate(remoteAddress);
        if (b == null) {
            return null;
        }
        int before = Math.max(0, rcvAdvRight - rcvNxt);
        int n = Math.min(rcvBuf.length(), Math.min(b.tailroom(), Math.max(rcvMss, 1)));
        rcvBuf.copyOut(0, b.segment(), b.offset(), n);
        rcvBuf.discard(n);
        b.append(n);
        windowOpened(before);
        return b;
    }

    @Override
    public void release(PacketBuffer buffer) {
        for (int i = 0; i < rcvLentCount; i++) {
            if (rcvLent[i] == buffer) {
                int before = Math.max(0, rcvAdvRight - rcvNxt);
                rcvLentBytes -= rcvLentLength[i];
                rcvLentCount--;
                rcvLent[i] = rcvLent[rcvLentCount];
                rcvLentLength[i] = rcvLentLength[rcvLentCount];
                rcvLent[rcvLentCount] = null;
                buffer.release();
                windowOpened(before);
                return;
            }
        }
        buffer.release(); // copied from the ring, or the connection forgot it: nothing charged
    }

    @Override
    public int heldBuffers() {
        return rcvLentCount;
    }

    @Override
    public void shutdownOutput() {
        if (outputShut) {
            return;
        }
        outputShut = true;
        long now = stack.nowNs();
        switch (state) {
            case SYN_SENT -> terminate(TcpError.NONE, now);
            case SYN_RECEIVED, ESTABLISHED -> {
                finQueued = true;
                setState(TcpState.FIN_WAIT_1);
                output(now);
            }
            case CLOSE_WAIT -> {
                finQueued = true;
                setState(TcpState.LAST_ACK);
                output(now);
            }
            default -> {
            }
        }
    }

    @Override
    public void close() {
        if (appClosed) {
            return;
        }
        appClosed = true;
        long now = stack.nowNs();
        // RFC 2525 §2.17: closing with unread data resets; linger 0 aborts (SO_LINGER)
        if (lingerMs == 0 || rcvReadable() > 0) {
            abortWith(TcpError.CONNECTION_ABORTED, now);
            discardReady();
            return;
        }
        if (state == TcpState.SYN_SENT) {
            terminate(TcpError.NONE, now);
            return;
        }
        shutdownOutput();
        if (state == TcpState.FIN_WAIT_2) {
            stack.timers.schedule(waitTimer, now + stack.finWait2TimeoutNs);
        } else if (lingerMs > 0 && state != TcpState.CLOSED && state != TcpState.TIME_WAIT) {
            stack.timers.schedule(waitTimer, now + lingerMs * 1_000_000L);
        }
    }

    @Override
    public void abort() {
        appClosed = true;
        abortWith(TcpError.CONNECTION_ABORTED, stack.nowNs());
        discardReady();
    }

    @Override
    public void setNoDelay(boolean noDelay) {
        this.noDelay = noDelay;
        if (noDelay && state.canSend()) {
            output(stack.nowNs());
        }
    }

    @Override
    public void setKeepAlive(boolean enabled, int idleMs, int intervalMs, int count) {
        keepAlive = enabled;
        keepIdleNs = (idleMs > 0 ? idleMs : stack.keepIdleMs) * 1_000_000L;
        keepIntervalNs = (intervalMs > 0 ? intervalMs : stack.keepIntervalMs) * 1_000_000L;
        keepCount = count > 0 ? count : stack.keepCount;
        armKeepAlive(stack.nowNs());
    }

    @Override
    public void setLinger(int lingerMs) {
        this.lingerMs = lingerMs;
    }

    @Override
    public void setBufferSizes(int sendBytes, int receiveBytes) {
        if (sendBytes > 0 && sendBuf != null && sendBytes != sendBuf.capacity() && sendBytes >= sendBuf.length()) {
            ByteRing next = stack.ring(sendBytes);
            copyRing(sendBuf, next);
            stack.recycle(sendBuf);
            sendBuf = next;
        }
        if (receiveBytes > 0 && rcvBuf != null && receiveBytes > rcvBuf.capacity() && ooo.count() == 0) {
            // growing only: the window already advertised must stay covered (RFC 9293 §3.8.6)
            ByteRing next = stack.ring(receiveBytes);
            copyRing(rcvBuf, next);
            stack.recycle(rcvBuf);
            rcvBuf = next;
            rcvWindowLimit = Math.max(rcvWindowLimit, Math.min(receiveBytes, rcvWindowLimit));
        }
    }

    private static void copyRing(ByteRing from, ByteRing to) {
        int length = from.length();
        MemorySegment scratch = java.lang.foreign.Arena.ofAuto().allocate(Math.max(1, length));
        from.copyOut(0, scratch, 0, length);
        to.append(scratch, 0, length);
    }

    @Override
    public boolean setCongestionControl(String name) {
        if (!stack.hasCongestionControl(name)) {
            return false;
        }
        ccName = name;
        if (cc != null && !cc.name().equals(name)) {
            CongestionControlFactory factory = stack.congestionControlFactory(name);
            cc = factory.create(mss, stack.nowNs());
            ccFactory = factory;
        }
        return true;
    }

    @Override
    public TcpConnectionInfo info() {
        return new TcpConnectionInfo(localAddress, localPort, remoteAddress, remotePort, state,
                sendQueueBytes(), rcvReadable(),
                cc == null ? 0 : cc.cwndBytes(), cc == null ? Long.MAX_VALUE : cc.ssthreshBytes(),
                srttNs / 1000, rttvarNs / 1000, rtoNs / 1_000_000, retransmits, mss,
                cc == null ? ccName : cc.name());
    }

    @Override
    public String toString() {
        return "Tcb[" + dev.netstack.ip.wire.Ipv4Address.format(localAddress) + ":" + localPort + " > "
                + dev.netstack.ip.wire.Ipv4Address.format(remoteAddress) + ":" + remotePort + " " + state + "]";
    }
}
