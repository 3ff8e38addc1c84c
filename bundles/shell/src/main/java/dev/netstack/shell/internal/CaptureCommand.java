package dev.netstack.shell.internal;

import dev.netstack.nic.CapturingDevice;
import dev.netstack.nic.NetDevice;
import dev.netstack.nic.PcapWriter;
import java.io.IOException;
import java.nio.file.Path;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import org.apache.felix.service.command.Descriptor;
import org.osgi.service.component.annotations.Component;
import org.osgi.service.component.annotations.Reference;
import org.osgi.service.component.annotations.ReferenceCardinality;
import org.osgi.service.component.annotations.ReferencePolicy;

/**
 * {@code netstack:capture}: records the frames of an interface into a pcap file that tcpdump and
 * tshark read ({@code capture start IFACE FILE}, {@code capture stop IFACE}, {@code capture} lists).
 *
 * <p>Backends register their devices decorated by {@code NetDevices.decorate}, whose
 * {@link CapturingDevice} this command switches on and off while traffic flows.
 *
 * <p>Immediate: Gogo releases a command service after each call, and a delayed component would be
 * deactivated then, unbinding its devices and so stopping the capture it had just started.
 */
@Component(immediate = true, service = CaptureCommand.class, property = {"osgi.command.scope=netstack", "osgi.command.function=capture"})
public final class CaptureCommand {

    private final Map<String, CapturingDevice> devices = new ConcurrentHashMap<>();

    @Reference(cardinality = ReferenceCardinality.MULTIPLE, policy = ReferencePolicy.DYNAMIC, unbind = "removeDevice")
    void addDevice(NetDevice device, Map<String, Object> properties) {
        if (device instanceof CapturingDevice capturing) {
            devices.put(interfaceName(device, properties), capturing);
        }
    }

    void removeDevice(NetDevice device, Map<String, Object> properties) {
        String name = interfaceName(device, properties);
        if (devices.remove(name, device) && device instanceof CapturingDevice capturing) {
            capturing.stop();
        }
    }

    private static String interfaceName(NetDevice device, Map<String, Object> properties) {
        Object name = properties.get(NetDevice.NAME_PROPERTY);
        return name instanceof String s && !s.isBlank() ? s : device.name();
    }

    @Descriptor("list the interfaces that can be captured and whether a capture runs")
    public String capture() {
        if (devices.isEmpty()) {
            return "no interface can be captured: no NIC backend is configured\n";
        }
        StringBuilder out = new StringBuilder(String.format("%-10s %s%n", "interface", "capture"));
        devices.entrySet().stream().sorted(Map.Entry.comparingByKey()).forEach(entry -> out.append(
                String.format("%-10s %s%n", entry.getKey(), entry.getValue().isCapturing() ? "running" : "-")));
        return out.toString();
    }

    @Descriptor("capture stop IFACE: stop capturing and close the file")
    public String capture(@Descriptor("stop") String action, @Descriptor("interface") String iface) {
        if (!action.equals("stop")) {
            throw new IllegalArgumentException("use capture, capture start IFACE FILE or capture stop IFACE.");
        }
        PcapWriter writer = require(iface).stop(); // closes the file
        if (writer == null) {
            throw new IllegalArgumentException("no capture runs on " + iface + ".");
        }
        return "stopped capture on " + iface + ": " + writer.frames() + " frames";
    }

    @Descriptor("capture start IFACE FILE: write every frame of IFACE to the pcap file FILE")
    public String capture(@Descriptor("start") String action, @Descriptor("interface") String iface,
            @Descriptor("pcap file") String file) {
        if (!action.equals("start")) {
            throw new IllegalArgumentException("use capture, capture start IFACE FILE or capture stop IFACE.");
        }
        CapturingDevice device = require(iface);
        if (device.isCapturing()) {
            throw new IllegalArgumentException("a capture already runs on " + iface + ": stop it first.");
        }
        Path path = Path.of(file).toAbsolutePath();
        PcapWriter writer;
        try {
            writer = PcapWriter.open(path);
        } catch (IOException e) {
            throw new IllegalArgumentException("cannot write " + path + ": " + e.getMessage() + ".");
        }
        device.start(writer);
        return "capturing " + iface + " to " + path;
    }

    private CapturingDevice require(String iface) {
        CapturingDevice device = devices.get(iface);
        if (device == null) {
            throw new IllegalArgumentException("there is no interface named '" + iface + "' to capture.");
        }
        return device;
    }
}
