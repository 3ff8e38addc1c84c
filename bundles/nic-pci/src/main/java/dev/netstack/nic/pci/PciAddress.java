package dev.netstack.nic.pci;

import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * A PCI address in the form Linux names devices in sysfs: {@code DDDD:BB:DD.F} (domain, bus,
 * device, function, hexadecimal). The domain may be left out on input ({@code 00:03.0} means
 * {@code 0000:00:03.0}).
 */
public record PciAddress(int domain, int bus, int device, int function) {

    private static final Pattern FORMAT = Pattern.compile(
            "(?:([0-9a-fA-F]{4}):)?([0-9a-fA-F]{2}):([0-9a-fA-F]{2})\\.([0-7])");

    public PciAddress {
        if (domain < 0 || domain > 0xffff || bus < 0 || bus > 0xff || device < 0 || device > 0x1f || function < 0
                || function > 7) {
            throw PciException.badAddress(String.format("%x:%x:%x.%x", domain, bus, device, function));
        }
    }

    /**
     * Parses {@code DDDD:BB:DD.F} or {@code BB:DD.F}.
     *
     * @throws PciException with a one-sentence message if the text is not a PCI address
     */
    public static PciAddress parse(String text) {
        Matcher m = text == null ? null : FORMAT.matcher(text.trim());
        if (m == null || !m.matches()) {
            throw PciException.badAddress(text);
        }
        int domain = m.group(1) == null ? 0 : Integer.parseInt(m.group(1), 16);
        return new PciAddress(domain, Integer.parseInt(m.group(2), 16), Integer.parseInt(m.group(3), 16),
                Integer.parseInt(m.group(4)));
    }

    /** The sysfs name, e.g. {@code 0000:00:03.0}. */
    @Override
    public String toString() {
        return String.format("%04x:%02x:%02x.%x", domain, bus, device, function);
    }
}
