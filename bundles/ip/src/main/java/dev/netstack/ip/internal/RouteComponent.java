package dev.netstack.ip.internal;

import dev.netstack.ip.Route;
import dev.netstack.ip.RoutingTable;
import dev.netstack.ip.wire.Ipv4Address;
import java.lang.System.Logger.Level;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import org.osgi.service.component.annotations.Activate;
import org.osgi.service.component.annotations.Component;
import org.osgi.service.component.annotations.ConfigurationPolicy;
import org.osgi.service.component.annotations.Deactivate;
import org.osgi.service.component.annotations.Reference;
import org.osgi.service.component.annotations.ReferenceCardinality;
import org.osgi.service.component.annotations.ReferencePolicy;
import org.osgi.service.component.annotations.ReferencePolicyOption;
import org.osgi.service.metatype.annotations.Designate;

/**
 * Applies one {@code netstack.ip.route} configuration to every routing table: one, or one per
 * lane of a stack with several shards, each added as it comes. A bad value is logged in one
 * sentence and the route is not added.
 */
@Component(configurationPid = "netstack.ip.route", configurationPolicy = ConfigurationPolicy.REQUIRE,
        service = {})
@Designate(ocd = RouteConfig.class, factory = true)
public final class RouteComponent {

    private static final System.Logger LOG = System.getLogger(RouteComponent.class.getName());

    private final List<RoutingTable> tables = new CopyOnWriteArrayList<>();
    private final Route route;

    @Activate
    public RouteComponent(RouteConfig config) {
        this.route = parse(config.destination(), config.gateway(), config.interface$());
    }

    /** Embedded mode: the route in one table. */
    @jakarta.inject.Inject
    public RouteComponent(RoutingTable table, RouteConfig config) {
        this(config);
        addTable(table);
    }

    /** A routing table (of a lane) came: it gets the route. */
    @Reference(name = "table", service = RoutingTable.class, cardinality = ReferenceCardinality.AT_LEAST_ONE,
            policy = ReferencePolicy.DYNAMIC, policyOption = ReferencePolicyOption.GREEDY, unbind = "removeTable")
    void addTable(RoutingTable table) {
        tables.add(table);
        if (route != null) {
            table.add(route);
        }
    }

    /** A routing table went away with its lane: nothing to undo in it. */
    void removeTable(RoutingTable table) {
        tables.remove(table);
    }

    /** The route, or null (logged) if the configuration is bad. */
    static Route parse(String destination, String gateway, String interfaceName) {
        try {
            Ipv4Address.Cidr cidr = destination == null || destination.isBlank() || destination.trim().equals("default")
                    ? new Ipv4Address.Cidr(0, 0)
                    : Ipv4Address.parseCidr(destination);
            int via = gateway == null || gateway.isBlank() ? 0 : Ipv4Address.parse(gateway);
            String name = interfaceName == null || interfaceName.isBlank() ? null : interfaceName.trim();
            if (via == 0 && name == null) {
                throw new IllegalArgumentException("give a gateway, an interface, or both");
            }
            return new Route(cidr.network(), cidr.prefixLength(), via, name);
        } catch (IllegalArgumentException e) {
            LOG.log(Level.ERROR, "netstack.ip.route to " + destination + " rejected: " + e.getMessage());
            return null;
        }
    }

    Route route() {
        return route;
    }

    @Deactivate
    public void close() {
        if (route != null) {
            for (RoutingTable table : tables) {
                table.remove(route.destination(), route.prefixLength());
            }
        }
    }
}
