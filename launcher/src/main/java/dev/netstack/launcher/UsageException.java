package dev.netstack.launcher;

/** A mistake on the command line: the message is one sentence saying what is wrong and what to do. */
final class UsageException extends Exception {

    private static final long serialVersionUID = 1L;

    UsageException(String message) {
        super(message, null, false, false);
    }
}
