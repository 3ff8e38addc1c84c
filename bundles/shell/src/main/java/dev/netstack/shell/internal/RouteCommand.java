package dev.netstack.shell.internal;

import dev.netstack.ip.Route;
import dev.netstack.ip.RoutingTable;
import dev.netstack.ip.wire.Ipv4Address;
import java.util.List;
import java.util.Map;
import org.apache.felix.service.command.Descriptor;
import org.osgi.service.component.annotations.Component;
import org.osgi.service.component.annotations.Reference;
import org.osgi.service.component.annotations.ReferenceCardinality;
import org.osgi.service.component.annotations.ReferencePolicy;

/**
 * {@code netstack:route}: lists the routing table; {@code route add DEST [via GATEWAY] [dev IFACE]}
 * adds a route ({@code DEST} is a CIDR or {@code default}); {@code route del DEST} removes one.
 *
 * <p>Routes added here last until the stack stops; routes that must survive a restart belong in a
 * {@code netstack.ip.route} configuration file.
 *
 * <p>With several lanes each has its routing table: the listing is lane 0's, and {@code add} and
 * {@code del} change every lane's table (lane 0 first), so the lanes route alike.
 */
@Component(service = RouteCommand.class, property = {"osgi.command.scope=netstack", "osgi.command.function=route"})
public final class RouteCommand {

    private static final String USAGE = "use route, route add DEST [via GATEWAY] [dev IFACE] or route del DEST"
            + " (DEST is a CIDR such as 198.18.1.0/24, or default).";

    final LaneServices<RoutingTable> routingTables = new LaneServices<>();

    @Reference(cardinality = ReferenceCardinality.MULTIPLE, policy = ReferencePolicy.DYNAMIC,
            unbind = "removeRoutingTable")
    void addRoutingTable(RoutingTable table, Map<String, Object> properties) {
        routingTables.add(table, properties);
    }

    void removeRoutingTable(RoutingTable table) {
        routingTables.remove(table);
    }

    @Descriptor("list the routing table")
    public String route() {
        return list(require(routingTables.lane0()).routes());
    }

    @Descriptor("route del DEST: remove the route to DEST (a CIDR or default)")
    public String route(@Descriptor("del") String action, @Descriptor("destination") String destination) {
        if (action.equals("add")) {
            return route(action, destination, new String[0]);
        }
        if (!action.equals("del")) {
            throw new IllegalArgumentException(USAGE);
        }
        Ipv4Address.Cidr cidr = destination(destination);
        require(routingTables.lane0());
        boolean removed = false;
        for (RoutingTable table : routingTables.all()) {
            removed |= table.remove(cidr.address(), cidr.prefixLength());
        }
        if (!removed) {
            throw new IllegalArgumentException("there is no route to " + destination + ".");
        }
        return "removed " + destination;
    }

    @Descriptor("route add DEST [via GATEWAY] [dev IFACE]: add a route")
    public String route(@Descriptor("add") String action, @Descriptor("destination") String destination,
            @Descriptor("via GATEWAY and/or dev IFACE") String... rest) {
        if (!action.equals("add") || rest.length % 2 != 0) {
            throw new IllegalArgumentException(USAGE);
        }
        Ipv4Address.Cidr cidr = destination(destination);
        int gateway = 0;
        String iface = null;
        for (int i = 0; i < rest.length; i += 2) {
            switch (rest[i]) {
                case "via" -> gateway = Text.parseIpv4(rest[i + 1]);
                case "dev" -> iface = rest[i + 1];
                default -> throw new IllegalArgumentException(USAGE);
            }
        }
        if (gateway == 0 && iface == null) {
            throw new IllegalArgumentException("a route needs a gateway (via GATEWAY) or an interface (dev IFACE).");
        }
        Route route = new Route(cidr.address(), cidr.prefixLength(), gateway, iface);
        require(routingTables.lane0());
        for (RoutingTable table : routingTables.all()) {
            table.add(route);
        }
        return "added " + describe(route);
    }

    private static Ipv4Address.Cidr destination(String text) {
        if (text.equals("default")) {
            return new Ipv4Address.Cidr(0, 0);
        }
        try {
            return Ipv4Address.parseCidr(text);
        } catch (IllegalArgumentException e) {
            throw new IllegalArgumentException("'" + text + "' is not a destination such as 198.18.1.0/24 or default.");
        }
    }

    static String list(List<Route> routes) {
        if (routes.isEmpty()) {
            return "the routing table is empty\n";
        }
        StringBuilder out = new StringBuilder(String.format("%-20s %-16s %s%n", "destination", "gateway", "interface"));
        for (Route route : routes) {
            out.append(String.format("%-20s %-16s %s%n", destinationText(route),
                    route.gateway() == 0 ? "-" : Text.ipv4(route.gateway()),
                    route.interfaceName() == null ? "-" : route.interfaceName()));
        }
        return out.toString();
    }

    private static String destinationText(Route route) {
        return route.isDefault() ? "default" : Text.ipv4(route.destination()) + "/" + route.prefixLength();
    }

    private static String describe(Route route) {
        return destinationText(route) + (route.gateway() == 0 ? "" : " via " + Text.ipv4(route.gateway()))
                + (route.interfaceName() == null ? "" : " dev " + route.interfaceName());
    }

    private static RoutingTable require(RoutingTable table) {
        if (table == null) {
            throw new IllegalStateException("the network layer (bundle dev.netstack.ip) is not running.");
        }
        return table;
    }
}
