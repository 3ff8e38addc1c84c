package dev.netstack.bench;

import dev.netstack.nic.PacketBatch;
import dev.netstack.nic.PacketBuffer;
import dev.netstack.nic.PacketMemory;
import dev.netstack.nic.PacketPool;
import java.lang.foreign.Arena;
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
import org.openjdk.jmh.annotations.TearDown;
import org.openjdk.jmh.infra.Blackhole;

/** The packet pool's free stack: one buffer at a time, and a batch at a time as a device ring does. */
@State(Scope.Thread)
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.NANOSECONDS)
@Fork(value = 1, jvmArgsAppend = "--enable-native-access=ALL-UNNAMED")
public class PoolBenchmark {

    static final int BUFFERS = 4096;

    @Param({"32"})
    int batchSize;

    PacketPool pool;
    PacketBatch batch;

    @Setup
    public void setUp() {
        pool = PacketPool.create("bench", PacketMemory.offHeap(Arena.ofAuto(), (long) BUFFERS * PacketPool.DEFAULT_BUFFER_SIZE),
                BUFFERS, PacketPool.DEFAULT_BUFFER_SIZE, PacketPool.DEFAULT_HEADROOM);
        batch = new PacketBatch(batchSize);
    }

    @TearDown
    public void checkNoLeak() {
        if (pool.inUse() != 0) {
            throw new IllegalStateException(pool.inUse() + " buffers leaked");
        }
    }

    @Benchmark
    public void allocateRelease(Blackhole bh) {
        PacketBuffer buffer = pool.allocate();
        bh.consume(buffer.offset());
        buffer.release();
    }

    /** With a retain and second release, as a buffer shared by the retransmit queue and a device. */
    @Benchmark
    public void allocateRetainReleaseTwice(Blackhole bh) {
        PacketBuffer buffer = pool.allocate();
        buffer.retain();
        bh.consume(buffer.offset());
        buffer.release();
        buffer.release();
    }

    /** A batch filled from the pool and released whole: per op, {@code batchSize} buffers. */
    @Benchmark
    public void batchAllocateReleaseAll(Blackhole bh) {
        bh.consume(pool.allocate(batch, batchSize));
        batch.releaseAll();
    }
}
