package dev.netstack.launcher;

import java.util.Locale;

/** Strict parsing of the addresses the command line takes, with one-sentence errors. */
final class Addresses {

    private Addresses() {
    }

    /** Parses a dotted quad such as {@code 198.18.0.1}; null if it is not one. */
    static Integer parseIpv4(String text) {
        String[] parts = text.split("\\.", -1);
        if (parts.length != 4) {
            return null;
        }
        int address = 0;
        for (String part : parts) {
            if (part.isEmpty() || part.length() > 3 || !part.chars().allMatch(c -> c >= '0' && c <= '9')) {
                return null;
            }
            int octet = Integer.parseInt(part);
            if (octet > 255) {
                return null;
            }
            address = address << 8 | octet;
        }
        return address;
    }

    /** Checks {@code address/prefix}, e.g. {@code 198.18.0.2/24}, and returns it unchanged. */
    static String checkCidr(String option, String text) throws UsageException {
        int slash = text.indexOf('/');
        String example = " (for example 198.18.0.2/24)";
        if (slash < 0) {
            throw new UsageException(option + " needs an IPv4 address with a prefix length, not '" + text + "'" + example + ".");
        }
        if (parseIpv4(text.substring(0, slash)) == null) {
            throw new UsageException(option + " has a bad IPv4 address '" + text.substring(0, slash) + "'" + example + ".");
        }
        String prefix = text.substring(slash + 1);
        if (prefix.isEmpty() || prefix.length() > 2 || !prefix.chars().allMatch(c -> c >= '0' && c <= '9')
                || Integer.parseInt(prefix) > 32) {
            throw new UsageException(option + " has a bad prefix length '" + prefix + "': use 0 to 32" + example + ".");
        }
        return text;
    }

    /** Checks a dotted quad and returns it unchanged. */
    static String checkIpv4(String option, String text) throws UsageException {
        if (parseIpv4(text) == null) {
            throw new UsageException(option + " needs an IPv4 address such as 198.18.0.1, not '" + text + "'.");
        }
        return text;
    }

    /** Checks a unicast MAC such as {@code 02:00:00:00:00:01} and returns it in lower case. */
    static String checkMac(String option, String text) throws UsageException {
        String[] parts = text.split("[:-]", -1);
        boolean wellFormed = parts.length == 6;
        for (int i = 0; wellFormed && i < parts.length; i++) {
            wellFormed = parts[i].length() == 2 && parts[i].chars().allMatch(c -> Character.digit(c, 16) >= 0);
        }
        if (!wellFormed) {
            throw new UsageException(option + " needs a MAC address of six hex pairs such as 02:00:00:00:00:01, not '" + text + "'.");
        }
        if ((Integer.parseInt(parts[0], 16) & 1) != 0) {
            throw new UsageException(option + " " + text + " is a multicast address: use a unicast one such as 02:00:00:00:00:01.");
        }
        return String.join(":", parts).toLowerCase(Locale.ROOT);
    }

    /** Parses a whole number in {@code [min, max]}. */
    static int checkInt(String option, String text, int min, int max) throws UsageException {
        try {
            int value = Integer.parseInt(text);
            if (value >= min && value <= max) {
                return value;
            }
        } catch (NumberFormatException e) {
            // reported below
        }
        throw new UsageException(option + " needs a whole number from " + min + " to " + max + ", not '" + text + "'.");
    }
}
