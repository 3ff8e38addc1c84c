/**
 * TCP: connections for the layer above (the socket API, demo services) and the congestion
 * control SPI that algorithm bundles implement.
 *
 * <p>Start at {@link dev.netstack.tcp.TcpLayer} ({@code listen}, {@code connect}); a connection is
 * a {@link dev.netstack.tcp.TcpConnection} whose events arrive on a
 * {@link dev.netstack.tcp.TcpHandler} on the shard thread. Everything here is shard-confined and
 * allocation-free per segment. Read {@link dev.netstack.tcp.CongestionControl} for how an
 * algorithm meets the core.
 */
@org.osgi.annotation.bundle.Export
@org.osgi.annotation.versioning.Version("0.2.0")
package dev.netstack.tcp;
