package dev.netstack.nic;

import static org.junit.jupiter.api.Assertions.*;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.lang.foreign.MemorySegment;
import java.nio.channels.Channels;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.HexFormat;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class PcapWriterTest {

    @TempDir
    Path dir;

    @Test
    void writesGlobalHeaderInLittleEndian() throws IOException {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        new PcapWriter(Channels.newChannel(out), false, 65535).close();
        assertEquals("d4c3b2a1" + "0200" + "0400" + "00000000" + "00000000" + "ffff0000" + "01000000",
                HexFormat.of().formatHex(out.toByteArray()));
    }

    @Test
    void writesRecordWithMicrosecondTimestamp() throws IOException {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        try (PcapWriter writer = new PcapWriter(Channels.newChannel(out), false, 65535)) {
            writer.write(MemorySegment.ofArray(new byte[] {1, 2, 3, 4, 5}), 1, 3, 1_700_000_000_123_456_789L);
        }
        byte[] bytes = out.toByteArray();
        String record = HexFormat.of().formatHex(bytes, 24, bytes.length);
        // 1700000000 = 0x6553f100, 123456 us = 0x0001e240
        assertEquals("00f15365" + "40e20100" + "03000000" + "03000000" + "020304", record);
    }

    @Test
    void roundTripsThroughReaderWithNanoseconds() throws IOException {
        Path file = dir.resolve("rt.pcap");
        try (PcapWriter writer = PcapWriter.open(file)) {
            for (int i = 0; i < 10; i++) {
                byte[] frame = new byte[60 + i];
                frame[0] = (byte) i;
                writer.write(MemorySegment.ofArray(frame), 0, frame.length, 1_000_000_000L * i + i);
            }
            assertEquals(10, writer.frames());
        }
        PcapReader.Capture capture = PcapReader.read(file);
        assertTrue(capture.nanos());
        assertEquals(PcapWriter.LINKTYPE_ETHERNET, capture.linkType());
        assertEquals(10, capture.frames().size());
        for (int i = 0; i < 10; i++) {
            PcapReader.Frame f = capture.frames().get(i);
            assertEquals(1_000_000_000L * i + i, f.epochNs());
            assertEquals(60 + i, f.originalLength());
            assertEquals(60 + i, f.data().length);
            assertEquals(i, f.data()[0]);
        }
    }

    @Test
    void cutsFramesToTheSnapLength() throws IOException {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        try (PcapWriter writer = new PcapWriter(Channels.newChannel(out), true, 64)) {
            writer.write(MemorySegment.ofArray(new byte[100]), 0, 100, 5_000);
        }
        PcapReader.Frame f = PcapReader.read(out.toByteArray()).frames().get(0);
        assertEquals(100, f.originalLength());
        assertEquals(64, f.data().length);
        assertEquals(5_000, f.epochNs());
    }

    @Test
    void ignoresWritesAfterClose() throws IOException {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        PcapWriter writer = new PcapWriter(Channels.newChannel(out), true, 100);
        writer.close();
        writer.write(MemorySegment.ofArray(new byte[10]), 0, 10, 0);
        assertEquals(24, out.size());
        assertEquals(0, writer.frames());
    }

    @Test
    void readerAcceptsBigEndianMicrosecondFiles() throws IOException {
        byte[] file = HexFormat.of().parseHex("a1b2c3d4" + "0002" + "0004" + "00000000" + "00000000" + "00000100"
                + "00000001" + "00000002" + "00000003" + "00000002" + "0000003c" + "abcd");
        PcapReader.Frame f = PcapReader.read(file).frames().get(0);
        assertEquals(2_000_003_000L, f.epochNs());
        assertEquals(60, f.originalLength());
        assertArrayEquals(new byte[] {(byte) 0xab, (byte) 0xcd}, f.data());
    }

    @Test
    void readerRejectsTruncatedOrForeignFiles() {
        assertThrows(IOException.class, () -> PcapReader.read(new byte[10]));
        assertThrows(IOException.class, () -> PcapReader.read(new byte[24]));
        byte[] truncated = HexFormat.of().parseHex("d4c3b2a102000400000000000000000000010000" + "01000000"
                + "00000000000000000a0000000a000000" + "0102");
        IOException e = assertThrows(IOException.class, () -> PcapReader.read(truncated));
        assertTrue(e.getMessage().startsWith("truncated record"), e.getMessage());
    }

    @Test
    void tsharkReadsTheFileWhenInstalled() throws Exception {
        Path tshark = Path.of("/usr/bin/tshark");
        org.junit.jupiter.api.Assumptions.assumeTrue(Files.isExecutable(tshark), "tshark not installed");
        Path file = dir.resolve("arp.pcap");
        // An ARP request for 198.18.0.2 from 198.18.0.1.
        byte[] arp = HexFormat.of().parseHex("ffffffffffff020000000001080600010800060400010200000000"
                + "01c612000100000000" + "0000c6120002");
        try (PcapWriter writer = PcapWriter.open(file)) {
            writer.write(MemorySegment.ofArray(arp), 0, arp.length, 1_700_000_000_000_000_000L);
        }
        Process p = new ProcessBuilder(tshark.toString(), "-n", "-r", file.toString()).redirectErrorStream(true)
                .start();
        String text = new String(p.getInputStream().readAllBytes());
        assertTrue(p.waitFor(60, java.util.concurrent.TimeUnit.SECONDS));
        assertEquals(0, p.exitValue(), text);
        assertTrue(text.contains("Who has 198.18.0.2? Tell 198.18.0.1"), text);
    }
}
