package dev.netstack.ip.internal;

import dev.netstack.ip.NetworkLayer;
import dev.netstack.ip.wire.Ipv4Address;
import java.lang.System.Logger.Level;
import org.osgi.service.component.annotations.Activate;
import org.osgi.service.component.annotations.Component;
import org.osgi.service.component.annotations.ConfigurationPolicy;
import org.osgi.service.component.annotations.Deactivate;
import org.osgi.service.component.annotations.Reference;
import org.osgi.service.metatype.annotations.Designate;

/**
 * Applies one {@code netstack.ip.interface} configuration: the interface's IPv4 address and its
 * connected route. A bad address is logged in one sentence and the configuration is not applied.
 */
@Component(configurationPid = "netstack.ip.interface", configurationPolicy = ConfigurationPolicy.REQUIRE,
        service = {})
@Designate(ocd = InterfaceAddressConfig.class, factory = true)
public final class InterfaceAddressComponent {

    private static final System.Logger LOG = System.getLogger(InterfaceAddressComponent.class.getName());

    private final Ipv4Layer layer;
    private final String name;
    private final Ipv4Address.Cidr cidr;

    @Activate
    @jakarta.inject.Inject
    public InterfaceAddressComponent(@Reference NetworkLayer network, InterfaceAddressConfig config) {
        this.layer = network instanceof Ipv4Layer l ? l : null;
        this.name = config.name() == null || config.name().isBlank() ? "eth0" : config.name().trim();
        this.cidr = parse(name, config.address());
        if (layer != null && cidr != null) {
            layer.assignAddress(name, cidr);
        }
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
        if (layer != null && cidr != null) {
            layer.unassignAddress(name, cidr);
        }
    }
}
