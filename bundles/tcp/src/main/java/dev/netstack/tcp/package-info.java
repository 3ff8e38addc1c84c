/**
 * TCP: connections for the layer above (the socket API, demo services) and the congestion
 * control SPI that algorithm bundles implement.
 *
 * <p>Read {@link dev.netstack.tcp.CongestionControl} for how an algorithm meets the core.
 */
@org.osgi.annotation.bundle.Export
@org.osgi.annotation.versioning.Version("0.1.0")
package dev.netstack.tcp;
