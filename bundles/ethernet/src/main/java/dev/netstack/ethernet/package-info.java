/**
 * The link layer: interfaces over {@link dev.netstack.nic.NetDevice}s, Ethernet II framing and
 * ARP. Network layers reach it through {@link dev.netstack.ethernet.LinkLayer} and receive from it
 * by registering an {@link dev.netstack.ethernet.EtherTypeHandler} whiteboard service.
 */
@org.osgi.annotation.bundle.Export
@org.osgi.annotation.versioning.Version("0.1.0")
package dev.netstack.ethernet;
