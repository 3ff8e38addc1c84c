package dev.netstack.shell.internal;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.netstack.nic.CapturingDevice;
import dev.netstack.nic.NetDevice;
import dev.netstack.nic.PacketBatch;
import dev.netstack.nic.PacketBuffer;
import dev.netstack.nic.PcapReader;
import dev.netstack.test.MemoryLink;
import java.lang.foreign.ValueLayout;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class CaptureCommandTest {

    private final MemoryLink link = MemoryLink.create();
    private final CapturingDevice eth0 = new CapturingDevice(link.a());
    private final CaptureCommand command = new CaptureCommand();

    CaptureCommandTest() {
        command.addDevice(eth0, Map.of(NetDevice.NAME_PROPERTY, "eth0"));
    }

    @Test
    void writesTheFramesSentWhileCapturingToAPcapFile(@TempDir Path dir) throws Exception {
        Path file = dir.resolve("eth0.pcap");
        assertEquals("capturing eth0 to " + file, command.capture("start", "eth0", file.toString()));
        assertTrue(command.capture().contains("eth0       running"));
        send(3);
        assertEquals("stopped capture on eth0: 3 frames", command.capture("stop", "eth0"));
        send(2); // not captured any more
        PcapReader.Capture capture = PcapReader.read(file);
        assertEquals(3, capture.frames().size());
        assertEquals(60, capture.frames().getFirst().data().length);
    }

    @Test
    void refusesUnknownInterfacesAndDoubleStarts(@TempDir Path dir) {
        assertEquals("there is no interface named 'eth9' to capture.",
                assertThrows(IllegalArgumentException.class, () -> command.capture("start", "eth9", "x.pcap")).getMessage());
        command.capture("start", "eth0", dir.resolve("a.pcap").toString());
        assertEquals("a capture already runs on eth0: stop it first.",
                assertThrows(IllegalArgumentException.class,
                        () -> command.capture("start", "eth0", dir.resolve("b.pcap").toString())).getMessage());
        command.capture("stop", "eth0");
        assertEquals("no capture runs on eth0.",
                assertThrows(IllegalArgumentException.class, () -> command.capture("stop", "eth0")).getMessage());
    }

    @Test
    void forgetsDevicesThatGoAwayAndClosesTheirCapture(@TempDir Path dir) throws Exception {
        Path file = dir.resolve("gone.pcap");
        command.capture("start", "eth0", file.toString());
        command.removeDevice(eth0, Map.of(NetDevice.NAME_PROPERTY, "eth0"));
        assertEquals("no interface can be captured: no NIC backend is configured\n", command.capture());
        assertTrue(Files.size(file) >= 24, "pcap header written and file closed");
    }

    private void send(int frames) {
        PacketBatch batch = new PacketBatch();
        for (int i = 0; i < frames; i++) {
            PacketBuffer buffer = eth0.pool(0).allocate();
            int at = buffer.append(60);
            buffer.segment().asSlice(at, 60).fill((byte) i);
            buffer.segment().set(ValueLayout.JAVA_BYTE, at + 12, (byte) 0x08);
            batch.add(buffer);
        }
        int sent = eth0.transmit(0, batch);
        batch.removeFirst(sent);
        batch.releaseAll();
        PacketBatch received = new PacketBatch();
        link.b().receive(0, received);
        received.releaseAll();
    }
}
