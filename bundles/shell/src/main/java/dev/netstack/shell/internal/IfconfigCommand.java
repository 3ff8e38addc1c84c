package dev.netstack.shell.internal;

import dev.netstack.ethernet.LinkLayer;
import dev.netstack.ethernet.NetInterface;
import dev.netstack.nic.DeviceCounters;
import dev.netstack.nic.MacAddress;
import dev.netstack.nic.NetDevice;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import org.apache.felix.service.command.Descriptor;
import org.osgi.service.component.annotations.Component;
import org.osgi.service.component.annotations.Reference;
import org.osgi.service.component.annotations.ReferenceCardinality;
import org.osgi.service.component.annotations.ReferencePolicy;

/**
 * {@code netstack:ifconfig [NAME]}: the link layer's interfaces (name, state, MAC, MTU, IPv4
 * address, device and its counters), and NIC devices that no interface has taken. With several
 * lanes the interfaces are lane 0's (every lane has the same ones, each over its own queue of the
 * device; the device's counters cover all queues).
 */
@Component(service = IfconfigCommand.class, property = {
        "osgi.command.scope=netstack", "osgi.command.function=ifconfig"})
public final class IfconfigCommand {

    final LaneServices<LinkLayer> linkLayers = new LaneServices<>();

    @Reference(cardinality = ReferenceCardinality.MULTIPLE, policy = ReferencePolicy.DYNAMIC,
            unbind = "removeLinkLayer")
    void addLinkLayer(LinkLayer layer, Map<String, Object> properties) {
        linkLayers.add(layer, properties);
    }

    void removeLinkLayer(LinkLayer layer) {
        linkLayers.remove(layer);
    }

    @Reference(cardinality = ReferenceCardinality.MULTIPLE, policy = ReferencePolicy.DYNAMIC)
    volatile List<NetDevice> devices = List.of();

    @Descriptor("show every interface and device")
    public String ifconfig() {
        return format(linkLayers.lane0(), devices, null);
    }

    @Descriptor("show one interface")
    public String ifconfig(@Descriptor("interface name, e.g. eth0") String name) {
        return format(linkLayers.lane0(), devices, name);
    }

    /** The listing; {@code only} restricts it to one name (an IllegalArgumentException if unknown). */
    static String format(LinkLayer linkLayer, List<NetDevice> devices, String only) {
        StringBuilder out = new StringBuilder();
        Set<String> shown = new HashSet<>();
        List<NetInterface> interfaces = linkLayer == null ? List.of() : linkLayer.interfaces();
        for (NetInterface nif : interfaces) {
            shown.add(nif.name());
            if (only == null || only.equals(nif.name())) {
                appendInterface(out, nif);
            }
        }
        List<NetDevice> loose = new ArrayList<>();
        for (NetDevice device : devices) {
            if (!shown.contains(device.name()) && (only == null || only.equals(device.name()))) {
                loose.add(device);
            }
        }
        if (!loose.isEmpty() && linkLayer == null) {
            out.append("(the link layer, netstack.ethernet, is not running: devices only)\n");
        }
        for (NetDevice device : loose) {
            out.append(device.name()).append(": no interface, ").append(device.isLinkUp() ? "link up" : "link down")
                    .append(" mtu ").append(device.mtu()).append('\n');
            out.append("    ether ").append(MacAddress.format(device.macAddress())).append('\n');
            appendDevice(out, device);
        }
        if (out.isEmpty()) {
            if (only != null) {
                throw new IllegalArgumentException("there is no interface or device named '" + only + "'.");
            }
            out.append(linkLayer == null ? "no interfaces (the link layer, netstack.ethernet, is not running)\n"
                    : "no interfaces (configure a NIC, e.g. ./netstack run --tap ns0)\n");
        }
        return out.toString();
    }

    private static void appendInterface(StringBuilder out, NetInterface nif) {
        out.append(nif.name()).append(": index ").append(nif.index()).append(nif.isUp() ? " UP" : " DOWN")
                .append(" mtu ").append(nif.mtu()).append('\n');
        out.append("    ether ").append(MacAddress.format(nif.macAddress()));
        if (nif.ipv4Address() != 0) {
            out.append("  inet ").append(Text.ipv4(nif.ipv4Address())).append('/').append(nif.ipv4PrefixLength());
        }
        out.append('\n');
        NetDevice device = nif.device();
        if (device == null) {
            out.append("    device none\n");
        } else {
            appendDevice(out, device);
        }
    }

    private static void appendDevice(StringBuilder out, NetDevice device) {
        DeviceCounters c = Text.total(device);
        out.append("    device ").append(device.description()).append(", ").append(device.queueCount())
                .append(device.queueCount() == 1 ? " queue\n" : " queues\n");
        out.append("    rx packets ").append(c.rxPackets).append(" bytes ").append(c.rxBytes).append(" dropped ")
                .append(c.rxDropped).append(" errors ").append(c.rxErrors).append('\n');
        out.append("    tx packets ").append(c.txPackets).append(" bytes ").append(c.txBytes).append(" dropped ")
                .append(c.txDropped).append(" errors ").append(c.txErrors).append('\n');
    }
}
