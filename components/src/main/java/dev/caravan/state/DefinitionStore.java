package dev.caravan.state;

import com.hazelcast.core.EntryEvent;
import com.hazelcast.core.HazelcastInstance;
import com.hazelcast.map.IMap;
import com.hazelcast.map.listener.EntryAddedListener;
import com.hazelcast.map.listener.EntryUpdatedListener;
import dev.caravan.json.Json;

import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Objects;
import java.util.UUID;
import java.util.function.Consumer;

/**
 * Workflow definitions deployed while a server runs (through the API rather than from a folder), kept in the cluster,
 * and with a database in its table {@value #TABLE}: every member deploys them, a member that joins later deploys them
 * at start, and they outlive a restart of every member, so a run of one can resume anywhere. A definition is the text
 * the loader read (YAML or JSON), never a compiled form, so a newer engine reads it as it reads a file.
 */
public final class DefinitionStore {

    public static final String MAP_NAME = "caravan.definitions";
    public static final String TABLE = "caravan_definitions";

    /**
     * One stored definition.
     *
     * @param name   the workflow's name, its key
     * @param file   the file name its problems are reported against
     * @param source the text the loader reads
     * @param origin who deployed it: {@code api} ({@code PUT /api/v1/definitions}) or {@code agent}
     *               ({@code POST /api/v1/agent/run})
     */
    public record Definition(String name, String file, String source, String origin) {
        public Definition {
            Objects.requireNonNull(name, "name");
            Objects.requireNonNull(file, "file");
            Objects.requireNonNull(source, "source");
            Objects.requireNonNull(origin, "origin");
        }
    }

    private final IMap<String, String> definitions;
    /**
     * Held while this member deploys a definition and stores it, and while it deploys a stored one: an event of an
     * older version, handled late, then reads what is stored and cannot undo a newer deploy.
     */
    private final Object deploying = new Object();

    public DefinitionStore(HazelcastInstance hazelcast) {
        this.definitions = hazelcast.getMap(MAP_NAME);
    }

    /** Deploys the definition on this member with {@code deploy} and, when that did not throw, stores it. */
    public void deployAndStore(Definition definition, Runnable deploy) {
        synchronized (deploying) {
            deploy.run();
            put(definition);
        }
    }

    /** Calls {@code deploy} with the stored version of {@code name}, if there is one. */
    public void deployStored(String name, Consumer<Definition> deploy) {
        synchronized (deploying) {
            Definition stored = get(name);
            if (stored != null) {
                deploy.accept(stored);
            }
        }
    }

    /** Stores the definition, replacing the one of the same name. */
    public void put(Definition definition) {
        definitions.set(definition.name(), Json.write(definition));
    }

    public Definition get(String name) {
        String json = definitions.get(name);
        return json == null ? null : Json.read(json, Definition.class);
    }

    /** Every stored definition, by name. */
    public List<Definition> all() {
        List<Definition> out = new ArrayList<>();
        for (String json : definitions.values()) {
            out.add(Json.read(json, Definition.class));
        }
        out.sort(Comparator.comparing(Definition::name));
        return out;
    }

    /** How many stored definitions came from {@code origin}. */
    public long count(String origin) {
        return all().stream().filter(d -> d.origin().equals(origin)).count();
    }

    /**
     * Calls {@code changed} with each definition stored or replaced from now on, by any member (on a Hazelcast event
     * thread: hand longer work on). Events come late and may be of an older version: deploy what
     * {@link #deployStored} finds, not the event's. Returns the registration, for {@link #stopListening}.
     */
    public UUID listen(Consumer<Definition> changed) {
        Listener listener = new Listener(changed);
        return definitions.addEntryListener(listener, true);
    }

    public void stopListening(UUID registration) {
        definitions.removeEntryListener(registration);
    }

    private record Listener(Consumer<Definition> changed)
            implements EntryAddedListener<String, String>, EntryUpdatedListener<String, String> {
        @Override
        public void entryAdded(EntryEvent<String, String> event) {
            changed.accept(Json.read(event.getValue(), Definition.class));
        }

        @Override
        public void entryUpdated(EntryEvent<String, String> event) {
            changed.accept(Json.read(event.getValue(), Definition.class));
        }
    }
}
