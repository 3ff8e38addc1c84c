package dev.netstack.ethernet;

/**
 * Told when interfaces appear, change devices, or disappear. Registered as a whiteboard service;
 * called on a control thread, not the shard thread.
 */
public interface InterfaceListener {

    void interfaceAdded(NetInterface nif);

    /** The interface's device was attached, replaced, or removed, or its link changed. */
    default void interfaceChanged(NetInterface nif) {
    }

    void interfaceRemoved(NetInterface nif);
}
