package dev.netstack.ip.wire;

/**
 * IPv4 addresses as big-endian {@code int}s ({@code 198.18.0.1} is {@code 0xC6120001}), and
 * parsing of dotted quads and CIDR prefixes for configuration. Parsing is control path: it throws
 * {@link IllegalArgumentException} with a sentence a user can act on.
 */
public final class Ipv4Address {

    public static final int ANY = 0;
    public static final int LIMITED_BROADCAST = 0xFFFF_FFFF;

    private Ipv4Address() {
    }

    /** An address with its prefix length, as written {@code 198.18.0.2/24}. */
    public record Cidr(int address, int prefixLength) {
        public Cidr {
            if (prefixLength < 0 || prefixLength > 32) {
                throw new IllegalArgumentException("prefix length must be 0 to 32, got " + prefixLength);
            }
        }

        /** The network part: the address with the host bits cleared. */
        public int network() {
            return address & mask(prefixLength);
        }

        public boolean contains(int other) {
            return ((other ^ address) & mask(prefixLength)) == 0;
        }

        @Override
        public String toString() {
            return format(address) + "/" + prefixLength;
        }
    }

    /** The netmask of a prefix length: 24 gives 0xFFFFFF00, 0 gives 0. */
    public static int mask(int prefixLength) {
        return prefixLength == 0 ? 0 : -1 << (32 - prefixLength);
    }

    /** Parses a dotted quad such as {@code 198.18.0.1}. */
    public static int parse(String text) {
        if (text == null) {
            throw new IllegalArgumentException("an IPv4 address is required, like 198.18.0.1");
        }
        String s = text.trim();
        int value = 0;
        int octets = 0;
        int i = 0;
        while (i <= s.length()) {
            int start = i;
            int octet = 0;
            while (i < s.length() && s.charAt(i) >= '0' && s.charAt(i) <= '9' && i - start < 4) {
                octet = octet * 10 + (s.charAt(i) - '0');
                i++;
            }
            if (i == start || i - start > 3 || octet > 255 || octets == 4) {
                throw bad(text);
            }
            value = value << 8 | octet;
            octets++;
            if (i == s.length()) {
                break;
            }
            if (s.charAt(i) != '.') {
                throw bad(text);
            }
            i++;
            if (i == s.length()) {
                throw bad(text);
            }
        }
        if (octets != 4) {
            throw bad(text);
        }
        return value;
    }

    private static IllegalArgumentException bad(String text) {
        return new IllegalArgumentException("'" + text + "' is not an IPv4 address; write four numbers 0-255 separated by dots, like 198.18.0.1");
    }

    /** Parses {@code address/prefix}; a bare address means /32. */
    public static Cidr parseCidr(String text) {
        if (text == null || text.isBlank()) {
            throw new IllegalArgumentException("an address with prefix is required, like 198.18.0.2/24");
        }
        String s = text.trim();
        int slash = s.indexOf('/');
        if (slash < 0) {
            return new Cidr(parse(s), 32);
        }
        int address = parse(s.substring(0, slash));
        String prefix = s.substring(slash + 1);
        int length;
        try {
            length = Integer.parseInt(prefix);
        } catch (NumberFormatException e) {
            length = -1;
        }
        if (length < 0 || length > 32 || prefix.isEmpty() || !Character.isDigit(prefix.charAt(0))) {
            throw new IllegalArgumentException("'" + text + "' has a bad prefix length; write 0 to 32 after the slash, like 198.18.0.2/24");
        }
        return new Cidr(address, length);
    }

    /** Formats as a dotted quad. Control path (allocates). */
    public static String format(int address) {
        return (address >>> 24) + "." + (address >>> 16 & 0xFF) + "." + (address >>> 8 & 0xFF) + "." + (address & 0xFF);
    }

    /** 224.0.0.0/4 (RFC 1112). */
    public static boolean isMulticast(int address) {
        return (address & 0xF000_0000) == 0xE000_0000;
    }

    /** 127.0.0.0/8. */
    public static boolean isLoopback(int address) {
        return (address >>> 24) == 127;
    }
}
