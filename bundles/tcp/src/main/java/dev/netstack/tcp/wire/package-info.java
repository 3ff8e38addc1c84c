/** Flyweight view of the TCP header and its options (RFC 9293 §3.1, RFC 7323, RFC 2018). */
@org.osgi.annotation.bundle.Export
@org.osgi.annotation.versioning.Version("0.1.0")
package dev.netstack.tcp.wire;
