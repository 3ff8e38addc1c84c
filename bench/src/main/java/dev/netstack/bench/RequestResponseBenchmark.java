package dev.netstack.bench;

import dev.netstack.tcp.TcpConnection;
import dev.netstack.tcp.TcpHandler;
import dev.netstack.tcp.TcpOptions;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
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

/**
 * One request/response transaction over TCP (no-delay): the client sends {@code size} bytes, the
 * server echoes them, the op ends when the client has read the whole reply. Two stacks over an
 * in-memory link on one thread, so the figure is both ends' CPU per transaction.
 */
@State(Scope.Thread)
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.NANOSECONDS)
@Fork(value = 1, jvmArgsAppend = "--enable-native-access=ALL-UNNAMED")
public class RequestResponseBenchmark {

    @Param({"64", "1460"})
    int size;

    StackPair pair;
    final Echo echo = new Echo();
    final Client client = new Client();
    MemorySegment request;

    static final class Echo implements TcpHandler {
        final MemorySegment buffer = Arena.ofAuto().allocate(64 * 1024);

        @Override
        public void onReadable(TcpConnection c) {
            int n;
            while ((n = c.receive(buffer, 0, (int) buffer.byteSize())) > 0) {
                int sent = c.send(buffer, 0, n);
                if (sent != n) {
                    throw new IllegalStateException("echo send buffer full: " + sent + " of " + n);
                }
            }
        }
    }

    static final class Client implements TcpHandler {
        final MemorySegment buffer = Arena.ofAuto().allocate(64 * 1024);
        TcpConnection connection;
        long received;

        @Override
        public void onConnected(TcpConnection c) {
            connection = c;
        }

        @Override
        public void onReadable(TcpConnection c) {
            int n;
            while ((n = c.receive(buffer, 0, (int) buffer.byteSize())) > 0) {
                received += n;
            }
        }
    }

    long expected;

    @Setup
    public void setUp() {
        pair = new StackPair();
        request = Arena.ofAuto().allocate(size);
        TcpOptions options = TcpOptions.defaults().withNoDelay(true);
        pair.b().listen(0, 7, options, c -> echo);
        pair.a().connect(StackPair.ADDRESS_B, 7, 0, 0, options, client);
        pair.stepUntil(() -> client.connection != null, 100_000, "connecting");
    }

    @Benchmark
    public long transaction() {
        if (client.connection.send(request, 0, size) != size) {
            throw new IllegalStateException("client send buffer full");
        }
        expected += size;
        for (int i = 0; client.received < expected; i++) { // no lambda: nothing allocated per op
            if (i == 1_000_000) {
                throw new IllegalStateException("reply stalled at " + client.received + " of " + expected + " bytes");
            }
            pair.step();
        }
        return client.received;
    }
}
