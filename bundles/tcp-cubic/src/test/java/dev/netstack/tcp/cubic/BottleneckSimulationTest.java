package dev.netstack.tcp.cubic;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.netstack.tcp.CongestionControl;
import dev.netstack.tcp.newreno.NewReno;
import org.junit.jupiter.api.Test;

/**
 * A fluid model of one flow through a fixed-capacity drop-tail bottleneck, in virtual time, to see
 * NewReno's and CUBIC's sawtooth side by side. Deterministic (no randomness): loss comes
 * periodically, whenever the window exceeds BDP + buffer.
 *
 * <p>Each round trip the window's worth of data is sent; the queue is what exceeds the BDP, and it
 * adds to the RTT. If the window exceeds BDP + buffer the tail is dropped: the sender learns of it
 * one RTT later (recovery entered with FlightSize = the window), spends one RTT in recovery sending
 * what cwnd allows, and leaves recovery with the pipe full. Otherwise every segment is acknowledged,
 * one ACK per segment, spread over the RTT, each carrying the RTT as its sample.
 */
class BottleneckSimulationTest {

    private static final int MSS = 1460;

    record Result(double utilisation, int losses, long meanCwndBytes, long minCwndBytes, long maxCwndBytes,
                  double secondsBetweenLosses) {
    }

    static Result run(CongestionControl cc, double capacityBytesPerSecond, long baseRttNs, long bufferBytes,
                      long durationNs) {
        double bdp = capacityBytesPerSecond * baseRttNs / 1e9;
        long now = 0;
        double delivered = 0;
        int losses = 0;
        long firstLossNs = -1;
        long lastLossNs = -1;
        double cwndTime = 0;
        long minCwnd = Long.MAX_VALUE;
        long maxCwnd = 0;
        while (now < durationNs) {
            long window = cc.cwndBytes();
            long rtt = rttNs(window, bdp, bufferBytes, capacityBytesPerSecond, baseRttNs);
            if (now > durationNs / 2) { // steady state: the second half
                minCwnd = Math.min(minCwnd, window);
                maxCwnd = Math.max(maxCwnd, window);
                cwndTime += (double) window * rtt;
            }
            if (window > bdp + bufferBytes) {
                losses++;
                lastLossNs = now;
                if (firstLossNs < 0) {
                    firstLossNs = now;
                }
                delivered += bdp + bufferBytes;
                now += rtt;
                cc.onEnterRecovery(window, now);
                long recoveryWindow = cc.cwndBytes();
                long recoveryRtt = rttNs(recoveryWindow, bdp, bufferBytes, capacityBytesPerSecond, baseRttNs);
                delivered += Math.min(recoveryWindow, bdp + bufferBytes);
                now += recoveryRtt;
                cc.onExitRecovery(recoveryWindow, now);
                continue;
            }
            long acks = (window + MSS - 1) / MSS;
            long flight = window;
            for (long i = 0; i < acks; i++) {
                long acked = Math.min(MSS, flight);
                cc.onAck(acked, rtt, flight, now + i * rtt / acks);
                flight -= acked;
            }
            delivered += window;
            now += rtt;
        }
        double utilisation = delivered / (capacityBytesPerSecond * now / 1e9);
        double between = losses > 1 ? (lastLossNs - firstLossNs) / 1e9 / (losses - 1) : Double.NaN;
        long steadyNs = now - durationNs / 2;
        return new Result(utilisation, losses, (long) (cwndTime / Math.max(steadyNs, 1)), minCwnd, maxCwnd, between);
    }

    private static long rttNs(long window, double bdp, long bufferBytes, double capacity, long baseRttNs) {
        double queue = Math.min(Math.max(window - bdp, 0), bufferBytes);
        return baseRttNs + (long) (queue / capacity * 1e9);
    }

    private static void print(String scenario, String algorithm, Result r) {
        System.out.printf("%-28s %-8s utilisation %.3f losses %4d every %7.2f s cwnd mean %8d min %8d max %8d seg%n",
                scenario, algorithm, r.utilisation(), r.losses(), r.secondsBetweenLosses(),
                r.meanCwndBytes() / MSS, r.minCwndBytes() / MSS, r.maxCwndBytes() / MSS);
    }

    @Test
    void cubicFillsALongFatPipeThatNewRenoRefillsOnlySlowly() {
        // 1 Gbit/s, 100 ms: BDP 12.5 MB = 8562 segments, buffer BDP/10, 120 s.
        double capacity = 125e6;
        long rtt = 100_000_000L;
        long buffer = 1_250_000L;
        long duration = 120_000_000_000L;
        Result reno = run(new NewReno(MSS, 0), capacity, rtt, buffer, duration);
        Result cubic = run(new Cubic(MSS, 0), capacity, rtt, buffer, duration);
        print("1 Gbit/s 100 ms buf BDP/10", "newreno", reno);
        print("1 Gbit/s 100 ms buf BDP/10", "cubic", cubic);
        assertTrue(cubic.utilisation() > 0.85, "cubic " + cubic);
        assertTrue(cubic.utilisation() > reno.utilisation() + 0.1, "cubic " + cubic + " reno " + reno);
        // CUBIC's sawtooth: back to 0.7·W_max, then K = ∛(W_max·0.3/0.4) seconds to W_max again
        double wMax = (capacity * 0.1 + buffer) / MSS;
        double k = Math.cbrt(wMax * 0.3 / 0.4);
        assertTrue(cubic.losses() >= 4, "cubic " + cubic);
        assertTrue(cubic.secondsBetweenLosses() > k * 0.8 && cubic.secondsBetweenLosses() < k * 1.6,
                "period " + cubic.secondsBetweenLosses() + " vs K " + k);
        assertTrue(cubic.minCwndBytes() >= 0.69 * wMax * MSS, "cubic min " + cubic);
        // NewReno halves and climbs one segment per RTT: one loss in 2 minutes after slow start
        assertEquals(1, reno.losses(), "reno " + reno);
    }

    @Test
    void onASmallPipeCubicBehavesLikeReno() {
        // 10 Mbit/s, 10 ms: BDP 12.5 kB ≈ 8.6 segments, buffer one BDP, 60 s.
        double capacity = 1.25e6;
        long rtt = 10_000_000L;
        long buffer = 12_500L;
        long duration = 60_000_000_000L;
        Result reno = run(new NewReno(MSS, 0), capacity, rtt, buffer, duration);
        Result cubic = run(new Cubic(MSS, 0), capacity, rtt, buffer, duration);
        print("10 Mbit/s 10 ms buf BDP", "newreno", reno);
        print("10 Mbit/s 10 ms buf BDP", "cubic", cubic);
        assertTrue(reno.utilisation() > 0.9, "reno " + reno);
        assertTrue(cubic.utilisation() > 0.9, "cubic " + cubic);
        assertTrue(Math.abs(cubic.utilisation() - reno.utilisation()) < 0.06, "cubic " + cubic + " reno " + reno);
        // Reno-friendly region: CUBIC's losses come about as often as Reno's (α ≈ 0.53 per RTT
        // from 0.7·W against 1 per RTT from 0.5·W), not the seconds-long K of the cubic curve.
        assertTrue(cubic.secondsBetweenLosses() < 2 * reno.secondsBetweenLosses(), "cubic " + cubic + " reno " + reno);
    }

    @Test
    void mediumPipeShowsBothSawtooths() {
        // 100 Mbit/s, 20 ms: BDP 250 kB ≈ 171 segments, buffer BDP/2, 120 s: figures for the log.
        double capacity = 12.5e6;
        long rtt = 20_000_000L;
        long buffer = 125_000L;
        long duration = 120_000_000_000L;
        Result reno = run(new NewReno(MSS, 0), capacity, rtt, buffer, duration);
        Result cubic = run(new Cubic(MSS, 0), capacity, rtt, buffer, duration);
        print("100 Mbit/s 20 ms buf BDP/2", "newreno", reno);
        print("100 Mbit/s 20 ms buf BDP/2", "cubic", cubic);
        assertTrue(reno.utilisation() > 0.9 && cubic.utilisation() > 0.9, "cubic " + cubic + " reno " + reno);
        // β = 0.7 against 0.5: CUBIC's trough is higher relative to its peak
        assertTrue((double) cubic.minCwndBytes() / cubic.maxCwndBytes() > (double) reno.minCwndBytes() / reno.maxCwndBytes(),
                "cubic " + cubic + " reno " + reno);
    }
}
