/**
 * Flyweight views of the link-layer wire formats: the Ethernet II header and the ARP packet for
 * Ethernet/IPv4. Each view is wrapped over {@code (segment, offset)} and allocates nothing.
 */
@org.osgi.annotation.bundle.Export
@org.osgi.annotation.versioning.Version("0.1.0")
package dev.netstack.ethernet.wire;
