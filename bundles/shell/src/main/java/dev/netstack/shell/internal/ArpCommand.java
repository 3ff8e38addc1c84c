package dev.netstack.shell.internal;

import dev.netstack.ethernet.LinkLayer;
import dev.netstack.nic.MacAddress;
import java.util.List;
import java.util.Map;
import org.apache.felix.service.command.Descriptor;
import org.osgi.service.component.annotations.Component;
import org.osgi.service.component.annotations.Reference;
import org.osgi.service.component.annotations.ReferenceCardinality;
import org.osgi.service.component.annotations.ReferencePolicy;

/**
 * {@code netstack:arp}: lists the ARP cache; {@code arp add IFACE IP MAC} adds a static entry,
 * {@code arp del IFACE IP} removes an entry.
 *
 * <p>With several lanes the cache listed is lane 0's (lane 0 owns ARP and tells the other lanes
 * what it learns); static entries are added to and removed from every lane's link layer.
 */
@Component(service = ArpCommand.class, property = {"osgi.command.scope=netstack", "osgi.command.function=arp"})
public final class ArpCommand {

    final LaneServices<LinkLayer> linkLayers = new LaneServices<>();

    @Reference(cardinality = ReferenceCardinality.MULTIPLE, policy = ReferencePolicy.DYNAMIC,
            unbind = "removeLinkLayer")
    void addLinkLayer(LinkLayer layer, Map<String, Object> properties) {
        linkLayers.add(layer, properties);
    }

    void removeLinkLayer(LinkLayer layer) {
        linkLayers.remove(layer);
    }

    @Descriptor("list the ARP cache")
    public String arp() {
        return list(require(linkLayers.lane0()).arpEntries());
    }

    @Descriptor("arp del IFACE IP: remove an entry")
    public String arp(@Descriptor("del") String action, @Descriptor("interface") String iface,
            @Descriptor("IPv4 address") String address) {
        if (!action.equals("del")) {
            throw new IllegalArgumentException("use arp, arp add IFACE IP MAC or arp del IFACE IP.");
        }
        int ip = Text.parseIpv4(address);
        require(linkLayers.lane0());
        boolean removed = false;
        for (LinkLayer link : linkLayers.all()) {
            removed |= link.removeArpEntry(iface, ip);
        }
        if (!removed) {
            throw new IllegalArgumentException("there is no ARP entry for " + address + " on " + iface + ".");
        }
        return "removed " + address + " on " + iface;
    }

    @Descriptor("arp add IFACE IP MAC: add a static entry")
    public String arp(@Descriptor("add") String action, @Descriptor("interface") String iface,
            @Descriptor("IPv4 address") String address, @Descriptor("MAC, e.g. 02:00:00:00:00:01") String mac) {
        if (!action.equals("add")) {
            throw new IllegalArgumentException("use arp, arp add IFACE IP MAC or arp del IFACE IP.");
        }
        LinkLayer lane0 = require(linkLayers.lane0());
        int ip = Text.parseIpv4(address);
        long parsedMac = MacAddress.parse(mac);
        if (lane0.interfaceByName(iface) == null) {
            throw new IllegalArgumentException("there is no interface named '" + iface + "'.");
        }
        for (LinkLayer link : linkLayers.all()) {
            link.addStaticArpEntry(iface, ip, parsedMac);
        }
        return "added " + address + " at " + MacAddress.format(parsedMac) + " on " + iface;
    }

    static String list(List<LinkLayer.ArpEntry> entries) {
        if (entries.isEmpty()) {
            return "the ARP cache is empty\n";
        }
        StringBuilder out = new StringBuilder(String.format("%-10s %-16s %-18s %-12s %s%n", "interface", "address", "mac", "state", "expires"));
        for (LinkLayer.ArpEntry entry : entries) {
            String expires = entry.expiresInNs() < 0 ? "never" : String.format("%.1fs", entry.expiresInNs() / 1e9);
            out.append(String.format("%-10s %-16s %-18s %-12s %s%n", entry.interfaceName(), Text.ipv4(entry.address()),
                    MacAddress.format(entry.mac()), entry.state(), expires));
        }
        return out.toString();
    }

    private static LinkLayer require(LinkLayer linkLayer) {
        if (linkLayer == null) {
            throw new IllegalStateException("the link layer (bundle dev.netstack.ethernet) is not running.");
        }
        return linkLayer;
    }
}
