package dev.netstack.bench;

import dev.netstack.tcp.TcpConnection;
import dev.netstack.tcp.TcpHandler;
import dev.netstack.tcp.TcpOptions;
import dev.netstack.tcp.TcpState;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
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
 * TCP send and receive paths end to end: two stacks over an in-memory link, both event loops turned
 * by the benchmark thread (so a figure is the CPU cost of both ends together). One op of
 * {@link #bulk} sends {@code segments} full-sized segments (MTU 1500: 1460 bytes less the 12 of the
 * timestamp option, so 1448 bytes each; the connection's MSS is read at setup) and turns the loops
 * until the receiving application has read all of them; the ACKs are processed along the way. (A
 * 1460-byte write would leave a 12-byte tail that Nagle holds until the peer's delayed ACK.) {@code idleConnections} other established connections sit in both stacks' tables, so the
 * connection lookup on the receive path runs against a populated table (the table itself is
 * package-private in {@code tcp.internal} and is measured only this way).
 */
@State(Scope.Thread)
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.NANOSECONDS)
@Fork(value = 1, jvmArgsAppend = "--enable-native-access=ALL-UNNAMED")
public class TcpBenchmark {

    /** Payload buffer size: enough for 16 segments of any MSS up to 1460. */
    static final int MAX_MSS = 1460;

    @Param({"1", "16"})
    int segments;

    @Param({"0", "1000"})
    int idleConnections;

    StackPair pair;
    final Sink sink = new Sink();
    final Client client = new Client();
    final Idle idle = new Idle();
    MemorySegment payload;
    long expected;
    int mssBytes;

    /** Reads and counts everything, touching each byte read once (a checksum of the first byte). */
    static final class Sink implements TcpHandler {
        final MemorySegment scratch = Arena.ofAuto().allocate(64 * 1024);
        long received;
        int firstBytes;

        @Override
        public void onReadable(TcpConnection c) {
            int n;
            while ((n = c.receive(scratch, 0, (int) scratch.byteSize())) > 0) {
                received += n;
                firstBytes += scratch.get(ValueLayout.JAVA_BYTE, 0);
            }
        }
    }

    static final class Client implements TcpHandler {
        TcpConnection connection;

        @Override
        public void onConnected(TcpConnection c) {
            connection = c;
        }
    }

    static final class Idle implements TcpHandler {
        int connected;

        @Override
        public void onConnected(TcpConnection c) {
            connected++;
        }
    }

    @Setup
    public void setUp() {
        pair = new StackPair();
        payload = Arena.ofAuto().allocate(16 * MAX_MSS);
        for (int i = 0; i < payload.byteSize(); i++) {
            payload.set(ValueLayout.JAVA_BYTE, i, (byte) (i * 31 + 7));
        }
        pair.b().listen(0, 5001, TcpOptions.defaults(), c -> sink);
        pair.b().listen(0, 5002, TcpOptions.defaults(), c -> new Idle());
        pair.a().connect(StackPair.ADDRESS_B, 5001, 0, 0, TcpOptions.defaults(), client);
        pair.stepUntil(() -> client.connection != null, 100_000, "connecting");
        for (int i = 0; i < idleConnections; i++) {
            pair.a().connect(StackPair.ADDRESS_B, 5002, 0, 0, TcpOptions.defaults(), idle);
            if ((i & 63) == 63) { // a few handshakes at a time, within the listener's backlog
                for (int s = 0; s < 50; s++) {
                    pair.step();
                }
            }
        }
        pair.stepUntil(() -> idle.connected == idleConnections, 1_000_000, idleConnections + " idle connections");
        if (client.connection.state() != TcpState.ESTABLISHED) {
            throw new IllegalStateException("client " + client.connection.state());
        }
        mssBytes = client.connection.info().mssBytes();
        if (mssBytes <= 0 || mssBytes > MAX_MSS) {
            throw new IllegalStateException("MSS " + mssBytes);
        }
        System.out.println("MSS " + mssBytes + " bytes, " + segments * mssBytes + " bytes per op");
    }

    @Benchmark
    public long bulk() {
        int length = segments * mssBytes;
        int sent = 0;
        while (sent < length) {
            int n = client.connection.send(payload, sent, length - sent);
            if (n > 0) {
                sent += n;
            } else {
                pair.step(); // send buffer full: let ACKs in
            }
        }
        expected += length;
        for (int i = 0; sink.received < expected; i++) { // no lambda: nothing allocated per op
            if (i == 1_000_000) {
                throw new IllegalStateException("receiver stalled at " + sink.received + " of " + expected + " bytes");
            }
            pair.step();
        }
        return sink.received + sink.firstBytes;
    }
}
