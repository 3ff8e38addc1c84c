package dev.netstack.bench;

import dev.netstack.ethernet.wire.EthernetHeader;
import dev.netstack.ip.wire.Ipv4Header;
import dev.netstack.tcp.wire.TcpHeader;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.util.concurrent.TimeUnit;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Fork;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;
import org.openjdk.jmh.infra.Blackhole;

/**
 * Flyweight header views: wrap and read every field a receive path reads (parse), and write a
 * whole header (emit), for Ethernet, IPv4 (with its header checksum) and TCP. The frame is a
 * real-looking Ethernet/IPv4/TCP frame with 1460 bytes of payload, prepared once.
 */
@State(Scope.Thread)
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.NANOSECONDS)
@Fork(value = 1, jvmArgsAppend = "--enable-native-access=ALL-UNNAMED")
public class HeaderBenchmark {

    static final int SOURCE_IP = 0xC6120001; // 198.18.0.1
    static final int DESTINATION_IP = 0xC6120002; // 198.18.0.2
    static final int IP_OFFSET = EthernetHeader.LENGTH;
    static final int TCP_OFFSET = IP_OFFSET + Ipv4Header.MIN_LENGTH;
    static final int PAYLOAD = 1460;
    static final int FRAME = TCP_OFFSET + TcpHeader.MIN_LENGTH + PAYLOAD;

    final EthernetHeader ethernet = new EthernetHeader();
    final Ipv4Header ip = new Ipv4Header();
    final TcpHeader tcp = new TcpHeader();
    MemorySegment frame;
    MemorySegment out;
    int sequence;

    @Setup
    public void setUp() {
        frame = Arena.ofAuto().allocate(FRAME, 64);
        out = Arena.ofAuto().allocate(FRAME, 64);
        ethernet.wrap(frame, 0).destination(0x02_00_00_00_00_02L).source(0x02_00_00_00_00_01L)
                .etherType(EthernetHeader.ETHER_TYPE_IPV4);
        ip.wrap(frame, IP_OFFSET).emit(Ipv4Header.MIN_LENGTH + TcpHeader.MIN_LENGTH + PAYLOAD, 1,
                Ipv4Header.FLAG_DONT_FRAGMENT, 64, Ipv4Header.PROTOCOL_TCP, SOURCE_IP, DESTINATION_IP);
        tcp.wrap(frame, TCP_OFFSET).sourcePort(49152).destinationPort(5001).sequence(1000).acknowledgment(2000)
                .headerLength(TcpHeader.MIN_LENGTH).flags(TcpHeader.ACK | TcpHeader.PSH).window(65535).urgentPointer(0)
                .fillChecksum(SOURCE_IP, DESTINATION_IP, TcpHeader.MIN_LENGTH + PAYLOAD);
        if (!ip.checksumValid() || !tcp.verifyChecksum(SOURCE_IP, DESTINATION_IP, TcpHeader.MIN_LENGTH + PAYLOAD)) {
            throw new IllegalStateException("benchmark frame does not verify");
        }
    }

    @Benchmark
    public void ethernetParse(Blackhole bh) {
        EthernetHeader h = ethernet.wrap(frame, 0);
        bh.consume(h.checkLength(FRAME));
        bh.consume(h.destination());
        bh.consume(h.source());
        bh.consume(h.etherType());
    }

    @Benchmark
    public void ethernetEmit(Blackhole bh) {
        bh.consume(ethernet.wrap(out, 0).destination(0x02_00_00_00_00_02L).source(0x02_00_00_00_00_01L)
                .etherType(EthernetHeader.ETHER_TYPE_IPV4));
    }

    /** What an IPv4 receive path reads, including verifying the header checksum. */
    @Benchmark
    public void ipv4Parse(Blackhole bh) {
        Ipv4Header h = ip.wrap(frame, IP_OFFSET);
        bh.consume(h.checkLength(FRAME - IP_OFFSET));
        bh.consume(h.checksumValid());
        bh.consume(h.totalLength());
        bh.consume(h.isFragment());
        bh.consume(h.ttl());
        bh.consume(h.protocol());
        bh.consume(h.source());
        bh.consume(h.destination());
    }

    /** A whole 20-byte header with its checksum. */
    @Benchmark
    public void ipv4Emit(Blackhole bh) {
        bh.consume(ip.wrap(out, IP_OFFSET).emit(Ipv4Header.MIN_LENGTH + TcpHeader.MIN_LENGTH + PAYLOAD, sequence++,
                Ipv4Header.FLAG_DONT_FRAGMENT, 64, Ipv4Header.PROTOCOL_TCP, SOURCE_IP, DESTINATION_IP));
    }

    /** Header fields only (the checksum is {@link #tcpVerifyChecksum}). */
    @Benchmark
    public void tcpParse(Blackhole bh) {
        TcpHeader h = tcp.wrap(frame, TCP_OFFSET);
        bh.consume(h.checkLength(FRAME - TCP_OFFSET));
        bh.consume(h.sourcePort());
        bh.consume(h.destinationPort());
        bh.consume(h.sequence());
        bh.consume(h.acknowledgment());
        bh.consume(h.headerLength());
        bh.consume(h.flags());
        bh.consume(h.window());
    }

    /** Fields only, checksum field zeroed (offloaded or filled later). */
    @Benchmark
    public void tcpEmit(Blackhole bh) {
        bh.consume(tcp.wrap(out, TCP_OFFSET).sourcePort(49152).destinationPort(5001).sequence(sequence++)
                .acknowledgment(2000).headerLength(TcpHeader.MIN_LENGTH).flags(TcpHeader.ACK).window(65535)
                .checksum(0).urgentPointer(0));
    }

    /** Pseudo-header plus 1480 bytes of TCP header and payload. */
    @Benchmark
    public boolean tcpVerifyChecksum() {
        return tcp.wrap(frame, TCP_OFFSET).verifyChecksum(SOURCE_IP, DESTINATION_IP, TcpHeader.MIN_LENGTH + PAYLOAD);
    }
}
