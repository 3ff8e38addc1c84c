/**
 * Linux system calls through the Foreign Function and Memory API (no JNI, no C): file
 * descriptors, {@code ioctl}, {@code poll}, {@code eventfd}, sockets for interface configuration,
 * and network namespaces.
 *
 * <p>Read {@link dev.netstack.runtime.os.Linux} first: it holds the conventions. Data-path calls
 * ({@code read}, {@code write}, {@code poll}) return {@code -errno} instead of throwing and allocate
 * nothing; control-path helpers throw {@link dev.netstack.runtime.os.ErrnoException}.
 */
@org.osgi.annotation.bundle.Export
@org.osgi.annotation.versioning.Version("0.1.0")
package dev.netstack.runtime.os;
