package dev.caravan.dsl;

import java.util.List;

/**
 * A kind declared by what it is (its name, its component's scheme, its keys, whether it computes in place), so that
 * an implementation writes only how its value is read.
 */
public abstract class NodeKindSupport implements NodeKind {

    private final String name;
    private final String scheme;
    private final List<String> keys;
    private final boolean instant;

    /** A kind whose nodes may wait (I/O, a person, a timer). */
    protected NodeKindSupport(String name, String scheme, List<String> keys) {
        this(name, scheme, keys, false);
    }

    protected NodeKindSupport(String name, String scheme, List<String> keys, boolean instant) {
        this.name = name;
        this.scheme = scheme;
        this.keys = List.copyOf(keys);
        this.instant = instant;
    }

    @Override
    public final String name() {
        return name;
    }

    @Override
    public final List<String> keys() {
        return keys;
    }

    @Override
    public final String scheme() {
        return scheme;
    }

    @Override
    public final boolean instant() {
        return instant;
    }
}
