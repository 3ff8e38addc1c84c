package dev.netstack.bench;

import dev.netstack.nic.FlowHash;
import dev.netstack.nic.Toeplitz;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.nio.ByteOrder;
import java.util.concurrent.TimeUnit;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Fork;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;

/**
 * Flow steering for multi-core lanes: the software hash of a frame (what the in-memory link, the
 * software steering device and the TAP's eBPF program compute per frame), and the Toeplitz hash a
 * driver computes to tell where an RSS device puts a flow (per connect, and per packet in the
 * ixgbe allocation test).
 */
@State(Scope.Thread)
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.NANOSECONDS)
@Fork(value = 1, jvmArgsAppend = "--enable-native-access=ALL-UNNAMED")
public class SteeringBenchmark {

    MemorySegment frame;
    int port = 40_000;

    @Setup
    public void setUp() {
        frame = Arena.ofAuto().allocate(64);
        var be16 = ValueLayout.JAVA_SHORT_UNALIGNED.withOrder(ByteOrder.BIG_ENDIAN);
        var be32 = ValueLayout.JAVA_INT_UNALIGNED.withOrder(ByteOrder.BIG_ENDIAN);
        frame.set(be16, 12, (short) 0x0800);
        frame.set(ValueLayout.JAVA_BYTE, 14, (byte) 0x45);
        frame.set(ValueLayout.JAVA_BYTE, 23, (byte) 6);
        frame.set(be32, 26, 0xC6120001);
        frame.set(be32, 30, 0xC6120002);
        frame.set(be16, 34, (short) 40_000);
        frame.set(be16, 36, (short) 80);
    }

    /** A 54-byte TCP frame to its queue among 4. */
    @Benchmark
    public int flowHashOfFrame() {
        return FlowHash.queueOfFrame(frame, 0, 54, 4);
    }

    /** The symmetric Toeplitz hash of a TCP/IPv4 4-tuple (a different port each call). */
    @Benchmark
    public int toeplitzTcp4() {
        return Toeplitz.hashTcp4(Toeplitz.SYMMETRIC_KEY, 0xC6120001, 0xC6120002, port++ & 0xFFFF, 80);
    }
}
