package dev.netstack.ip;

import dev.netstack.ip.wire.Ipv4Address;

/**
 * One route: datagrams to {@code destination/prefixLength} leave by {@code interfaceName}, to
 * {@code gateway} if it is not 0, else directly to their destination (a connected route).
 *
 * @param interfaceName the interface, or null to take the interface whose connected network holds
 *     the gateway
 */
public record Route(int destination, int prefixLength, int gateway, String interfaceName) {

    public Route {
        if (prefixLength < 0 || prefixLength > 32) {
            throw new IllegalArgumentException("prefix length must be 0 to 32, got " + prefixLength);
        }
        destination &= Ipv4Address.mask(prefixLength);
        if (gateway == 0 && interfaceName == null) {
            throw new IllegalArgumentException("a route needs a gateway or an interface");
        }
    }

    /** A default route (0.0.0.0/0) via {@code gateway}. */
    public static Route defaultVia(int gateway, String interfaceName) {
        return new Route(0, 0, gateway, interfaceName);
    }

    public boolean matches(int address) {
        return ((address ^ destination) & Ipv4Address.mask(prefixLength)) == 0;
    }

    public boolean isDefault() {
        return prefixLength == 0;
    }

    @Override
    public String toString() {
        return (isDefault() ? "default" : Ipv4Address.format(destination) + "/" + prefixLength)
                + (gateway != 0 ? " via " + Ipv4Address.format(gateway) : "")
                + (interfaceName != null ? " dev " + interfaceName : "");
    }
}
