/**
 * Flyweight views of the IPv4 and ICMP headers, the Internet checksum and IPv4 address helpers,
 * for the transports above IP.
 */
@org.osgi.annotation.bundle.Export
@org.osgi.annotation.versioning.Version("0.1.0")
package dev.netstack.ip.wire;
