package dev.netstack.ip.internal;

import dev.netstack.ip.NetworkLayer;
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
 * Applies one {@code netstack.ip.interface} configuration: the interface's IPv4 address and its
 * connected route, in every network layer (one, or one per lane of a stack with several shards,
 * each as it comes). A bad address is logged in one sentence and the configuration is not applied.
 */
@Component(configurationPid = "netstack.ip.interface", configurationPolicy = ConfigurationPolicy.REQUIRE,
        service = {})
@Designate(ocd = InterfaceAddressConfig.class, factory = true)
public final class InterfaceAddressComponent {

    private static final System.Logger LOG = System.getLogger(InterfaceAddressComponent.class.getName());

    private final List<Ipv4Layer> layers = new CopyOnWriteArrayList<>();
    private final String name;
    private final Ipv4Address.Cidr cidr;

    @Activate
    public InterfaceAddressComponent(InterfaceAddressConfig config) {
        this.name = config.name() == null || config.name().isBlank() ? "eth0" : config.name().trim();
        this.cidr = parse(name, config.address());
    }

    /** Embedded mode: the address in one network layer. */
    @jakarta.inject.Inject
    public InterfaceAddressComponent(NetworkLayer network, InterfaceAddressConfig config) {
        this(config);
        addNetwork(network);
    }

    /** A network layer (of a lane) came: it gets the address. */
    @Reference(name = "network", service = NetworkLayer.class, cardinality = ReferenceCardinality.AT_LEAST_ONE,
            policy = ReferencePolicy.DYNAMIC, policyOption = ReferencePolicyOption.GREEDY, unbind = "removeNetwork")
    void addNetwork(NetworkLayer network) {
        if (network instanceof Ipv4Layer layer) {
            layers.add(layer);
            if (cidr != null) {
                layer.assignAddress(name, cidr);
            }
        }
    }

    /** A network layer went away with its lane: nothing to undo in it. */
    void removeNetwork(NetworkLayer network) {
        layers.remove(network);
    }

    /** The parsed address, or null (logged) if the configuration is bad. */
    static Ipv4Address.Cidr parse(String name, String address) {
        try {
            Ipv4Address.Cidr cidr = Ipv4Address.parseCidr(address);
            if (cidr.prefixLength() == 0 || cidr.address() == 0) {
                throw new IllegalArgumentException("'" + address + "' is not a host address with a prefix, like 198.18.0.2/24");
            }
            return cidr;
        } catch (IllegalArgumentException e) {
            LOG.log(Level.ERROR, "netstack.ip.interface for " + name + " rejected: " + e.getMessage());
            return null;
        }
    }

    Ipv4Address.Cidr cidr() {
        return cidr;
    }

    @Deactivate
    public void close() {
        if (cidr != null) {
            for (Ipv4Layer layer : layers) {
                layer.unassignAddress(name, cidr);
            }
        }
    }
}
