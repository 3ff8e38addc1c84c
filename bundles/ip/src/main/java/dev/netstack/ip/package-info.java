/**
 * The network layer: IPv4 and ICMP. Transports reach it through
 * {@link dev.netstack.ip.NetworkLayer} and receive from it by registering a
 * {@link dev.netstack.ip.ProtocolHandler} whiteboard service with the property {@code ip.protocol}.
 * Routes are managed through {@link dev.netstack.ip.RoutingTable}, ping through
 * {@link dev.netstack.ip.Pinger}.
 */
@org.osgi.annotation.bundle.Export
@org.osgi.annotation.versioning.Version("0.1.0")
package dev.netstack.ip;
