package dev.netstack.bench;

import dev.netstack.ip.wire.InternetChecksum;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.util.SplittableRandom;
import java.util.concurrent.TimeUnit;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Fork;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Param;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;

/** RFC 1071 checksum over off-heap packet data of typical sizes (minimum, Ethernet MTU, jumbo). */
@State(Scope.Thread)
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.NANOSECONDS)
@Fork(value = 1, jvmArgsAppend = "--enable-native-access=ALL-UNNAMED")
public class ChecksumBenchmark {

    @Param({"64", "1500", "9000"})
    int length;

    MemorySegment data;

    @Setup
    public void setUp() {
        data = Arena.ofAuto().allocate(length + 1, 64);
        SplittableRandom random = new SplittableRandom(42);
        for (long i = 0; i < data.byteSize(); i++) {
            data.set(java.lang.foreign.ValueLayout.JAVA_BYTE, i, (byte) random.nextInt());
        }
    }

    /** Aligned start, as for a header at a 2-byte boundary. */
    @Benchmark
    public int compute() {
        return InternetChecksum.compute(data, 0, length);
    }

    /** Odd start offset: the unaligned path. */
    @Benchmark
    public int computeOddOffset() {
        return InternetChecksum.compute(data, 1, length);
    }

    /** TCP-style: pseudo-header sum then the segment, folded. */
    @Benchmark
    public int withPseudoHeader() {
        long sum = InternetChecksum.pseudoHeaderSum(0xC6120001, 0xC6120002, 6, length);
        return InternetChecksum.finish(InternetChecksum.sum(data, 0, length, sum));
    }
}
