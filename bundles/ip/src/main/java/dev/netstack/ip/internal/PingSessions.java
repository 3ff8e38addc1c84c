package dev.netstack.ip.internal;

import dev.netstack.ip.Pinger;
import dev.netstack.ip.wire.IcmpHeader;
import dev.netstack.ip.wire.Ipv4Header;
import dev.netstack.nic.PacketBuffer;
import dev.netstack.runtime.Counters;
import dev.netstack.runtime.Shard;
import dev.netstack.runtime.Timer;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;

/**
 * Echo requests sent by the stack (RFC 792) for {@link Pinger}. A session is created on the
 * control path and then lives on the shard: a timer sends each request, replies are matched by
 * identifier and sequence number, and the future completes on the shard when the last reply came
 * or the timeout after the last request passed. Sessions are rare, so they allocate; replies do
 * not beyond recording the round-trip time.
 */
final class PingSessions {

    private static final int MAX_SESSIONS = 64;

    private final Ipv4Layer layer;
    private final Shard shard;
    private final Counters icmpCounters;
    private final Session[] sessions = new Session[MAX_SESSIONS];
    private final IcmpHeader icmp = new IcmpHeader();
    private int nextIdentifier = 0x4E53; // "NS"

    PingSessions(Ipv4Layer layer, Shard shard, Counters icmpCounters) {
        this.layer = layer;
        this.shard = shard;
        this.icmpCounters = icmpCounters;
    }

    CompletableFuture<Pinger.Result> start(int destination, Pinger.Options options, Pinger.Listener listener) {
        Session session = new Session(destination, options, listener);
        if (!shard.execute(() -> begin(session))) {
            session.future.completeExceptionally(new IllegalStateException("the shard is too busy; try again"));
        }
        return session.future;
    }

    private void begin(Session session) {
        int slot = -1;
        for (int i = 0; i < sessions.length; i++) {
            if (sessions[i] == null) {
                slot = i;
                break;
            }
        }
        if (slot < 0) {
            session.future.completeExceptionally(new IllegalStateException(
                    "too many pings at once (" + MAX_SESSIONS + "); wait for one to finish"));
            return;
        }
        session.identifier = nextIdentifier++ & 0xFFFF;
        session.slot = slot;
        sessions[slot] = session;
        session.sendNext(shard.clock().nanoTime());
    }

    void reply(int source, int identifier, int sequence, int dataBytes, int ttl, long nowNs) {
        for (Session s : sessions) {
            if (s != null && s.identifier == identifier && s.destination == source) {
                s.reply(sequence, dataBytes, ttl, nowNs);
                return;
            }
        }
        icmpCounters.increment(IcmpCounter.IN_ECHO_REPS_UNMATCHED);
    }

    void cancelAll() {
        for (int i = 0; i < sessions.length; i++) {
            Session s = sessions[i];
            if (s != null) {
                shard.timers().cancel(s.timer);
                s.finish();
            }
        }
    }

    private final class Session {
        final int destination;
        final Pinger.Options options;
        final Pinger.Listener listener;
        final long[] sentNs;
        final boolean[] answered;
        final List<Long> rttsNs = new ArrayList<>();
        final CompletableFuture<Pinger.Result> future = new CompletableFuture<>();
        int identifier;
        int slot;
        int transmitted;
        boolean finishing;
        final Timer timer = new Timer() {
            @Override
            protected void onExpiry(long nowNs) {
                if (finishing) {
                    finish();
                } else {
                    sendNext(nowNs);
                }
            }
        };

        Session(int destination, Pinger.Options options, Pinger.Listener listener) {
            this.destination = destination;
            this.options = options;
            this.listener = listener;
            this.sentNs = new long[options.count()];
            this.answered = new boolean[options.count()];
        }

        void sendNext(long nowNs) {
            int sequence = transmitted;
            int icmpBytes = IcmpHeader.LENGTH + options.dataBytes();
            PacketBuffer buffer = layer.allocateForIcmp(destination, icmpBytes);
            if (buffer != null) {
                int at = buffer.append(icmpBytes);
                MemorySegment seg = buffer.segment();
                for (int i = 0; i < options.dataBytes(); i++) {
                    seg.set(ValueLayout.JAVA_BYTE, at + IcmpHeader.LENGTH + i, (byte) i);
                }
                icmp.wrap(seg, at).emit(IcmpHeader.TYPE_ECHO_REQUEST, 0, identifier << 16 | sequence)
                        .fillChecksum(icmpBytes);
                sentNs[sequence] = nowNs;
                icmpCounters.increment(IcmpCounter.OUT_MSGS);
                icmpCounters.increment(IcmpCounter.OUT_ECHOS);
                layer.send(0, destination, Ipv4Header.PROTOCOL_ICMP, 0, buffer, nowNs);
            }
            transmitted++;
            if (transmitted < options.count()) {
                shard.timers().schedule(timer, nowNs + options.intervalMs() * 1_000_000L);
            } else {
                finishing = true;
                shard.timers().schedule(timer, nowNs + options.timeoutMs() * 1_000_000L);
            }
        }

        void reply(int sequence, int dataBytes, int ttl, long nowNs) {
            if (sequence >= transmitted || answered[sequence]) {
                icmpCounters.increment(IcmpCounter.IN_ECHO_REPS_UNMATCHED);
                return;
            }
            answered[sequence] = true;
            long rttNs = nowNs - sentNs[sequence];
            rttsNs.add(rttNs);
            if (listener != null) {
                try {
                    listener.reply(sequence, dataBytes, ttl, rttNs);
                } catch (RuntimeException e) {
                    System.getLogger(PingSessions.class.getName())
                            .log(System.Logger.Level.WARNING, "ping listener failed: " + e);
                }
            }
            if (finishing && rttsNs.size() == transmitted) {
                shard.timers().cancel(timer);
                finish();
            }
        }

        void finish() {
            if (sessions[slot] == this) {
                sessions[slot] = null;
            }
            future.complete(new Pinger.Result(destination, transmitted, rttsNs.size(), List.copyOf(rttsNs)));
        }
    }
}
