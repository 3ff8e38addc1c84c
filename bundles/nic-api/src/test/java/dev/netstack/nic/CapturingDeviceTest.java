package dev.netstack.nic;

import static org.junit.jupiter.api.Assertions.*;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.WritableByteChannel;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class CapturingDeviceTest {

    @TempDir
    Path dir;

    private final TestDevice inner = new TestDevice(64);
    private final long[] epochNs = {1_700_000_000_000_000_000L};
    private final CapturingDevice device = new CapturingDevice(inner, () -> epochNs[0]);
    private final PacketBatch batch = new PacketBatch(8);

    @AfterEach
    void closeArena() {
        device.close();
        assertEquals(0, inner.pool.inUse());
        inner.arena.close();
    }

    @Test
    void writesReceivedAndTransmittedFramesWhileCapturing() throws IOException {
        Path file = dir.resolve("c.pcap");
        inner.inject(new byte[] {1, 1, 1});
        device.receive(0, batch); // not capturing yet
        batch.releaseAll();

        device.start(PcapWriter.open(file));
        assertTrue(device.isCapturing());
        inner.inject(new byte[] {2, 2});
        assertEquals(1, device.receive(0, batch));
        batch.releaseAll();
        epochNs[0] += 1_000;
        batch.add(inner.frame(new byte[] {3, 3, 3, 3}));
        assertEquals(1, device.transmit(0, batch));
        batch.removeFirst(1);
        PcapWriter writer = device.stop();
        assertEquals(2, writer.frames());
        assertFalse(device.isCapturing());

        inner.inject(new byte[] {4});
        device.receive(0, batch);
        batch.releaseAll();

        List<PcapReader.Frame> frames = PcapReader.read(file).frames();
        assertEquals(2, frames.size());
        assertArrayEquals(new byte[] {2, 2}, frames.get(0).data());
        assertEquals(1_700_000_000_000_000_000L, frames.get(0).epochNs());
        assertArrayEquals(new byte[] {3, 3, 3, 3}, frames.get(1).data());
        assertEquals(1_700_000_000_000_001_000L, frames.get(1).epochNs());
        assertEquals(2, inner.sent.size() + 1); // one frame sent, plus the one before
    }

    @Test
    void writeErrorStopsTheCaptureButNotTheTraffic() throws IOException {
        boolean[] fail = {false};
        WritableByteChannel channel = new WritableByteChannel() {
            @Override
            public int write(ByteBuffer src) throws IOException {
                if (fail[0]) {
                    throw new IOException("disk full");
                }
                int n = src.remaining();
                src.position(src.limit());
                return n;
            }

            @Override
            public boolean isOpen() {
                return true;
            }

            @Override
            public void close() {
            }
        };
        device.start(new PcapWriter(channel, true, 1500));
        fail[0] = true;
        inner.inject(new byte[] {1});
        inner.inject(new byte[] {2});
        assertEquals(2, device.receive(0, batch));
        batch.releaseAll();
        assertFalse(device.isCapturing());
    }

    @Test
    void startReplacesARunningCapture() throws IOException {
        PcapWriter first = PcapWriter.open(dir.resolve("1.pcap"));
        PcapWriter second = PcapWriter.open(dir.resolve("2.pcap"));
        device.start(first);
        device.start(second);
        inner.inject(new byte[] {1});
        device.receive(0, batch);
        batch.releaseAll();
        assertEquals(0, first.frames());
        assertEquals(1, second.frames());
        assertEquals("capture(test)", device.description());
    }
}
