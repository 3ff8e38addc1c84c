/**
 * The demo services' public part: {@link dev.netstack.demo.BytePattern}, the bytes
 * {@code GET /bytes/N} serves, so clients and tests can verify a download without a copy of it.
 * The services themselves (echo, discard, HTTP) are components in {@code .internal}, configured by
 * PID {@code netstack.demo}.
 */
@org.osgi.annotation.bundle.Export
@org.osgi.annotation.versioning.Version("0.1.0")
package dev.netstack.demo;
