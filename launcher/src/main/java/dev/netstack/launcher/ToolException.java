package dev.netstack.launcher;

/** A client tool failed for a reason the user should read: one sentence, exit status 1. */
final class ToolException extends Exception {
    ToolException(String message) {
        super(message);
    }
}
