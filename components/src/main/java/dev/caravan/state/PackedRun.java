package dev.caravan.state;

import com.hazelcast.nio.ObjectDataInput;
import com.hazelcast.nio.ObjectDataOutput;
import com.hazelcast.nio.serialization.StreamSerializer;
import dev.caravan.json.Json;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.zip.DataFormatException;
import java.util.zip.Deflater;
import java.util.zip.Inflater;

/**
 * A finished run as the in-memory store keeps it for the retention: what pages select and order on, beside the
 * record's JSON, deflated with a dictionary of the words every record has. The run id (the map key) and the workflow
 * hash (one string shared by the runs of a definition) are left out of the JSON: neither compresses. A W1 diamond
 * run's record, 1,905 bytes of JSON and some 2.9 KB of objects on the heap, packs into 263 bytes.
 *
 * @param json the record's JSON without its id and workflow hash, deflated with {@link #DICTIONARY}
 */
record PackedRun(String tenant, String workflow, String workflowHash, RunStatus status, long createdAt,
        long updatedAt, String lane, byte[] json) {

    /**
     * The words of a record's JSON: deflate finds the names of the fields (and their common values) here instead of
     * spelling them out once in every record. Changing it makes packed runs held by members of an older version
     * unreadable: they are only ever held in memory, so a cluster upgraded member by member loses nothing but the
     * finished runs of the members it restarts, which it loses anyway without a database.
     */
    private static final byte[] DICTIONARY = ("\"continued\":false,\"errorCode\":null,\"errorClass\":null,"
            + "\"error\":null,\"detail\":{\"provider\":\"\",\"model\":\"\",\"finishReason\":\"STOP\","
            + "\"llmAttempts\":1,\"fallbacks\":0},\"detail\":null,"
            + "\"finishedAt\":17,\"startedAt\":17,\"tokens\":0,\"costMicros\":0,\"attempts\":1,\"output\":"
            + "\"status\":\"COMPLETED\",\"kind\":\"agent\",\"kind\":\"set\",\"key\":\"\"}},\"nodes\":{\""
            + "\"takeovers\":0,\"owner\":null,\"parentNodeKey\":null,\"parentRunId\":null,\"sequence\":1"
            + "\"updatedAt\":17,\"createdAt\":17,\"errorNode\":null,\"input\":{\"\"},\"status\":\"FAILED\","
            + "\"status\":\"CANCELLED\",\"lane\":null,\"tenant\":\"default\",\"workflowHash\":\"\",\"workflow\":\""
            + "{\"runId\":null,\"workflow\":\"").getBytes(StandardCharsets.UTF_8);

    /**
     * A deflater per thread (the partition threads that finish runs, a handful), reset between uses: making one
     * allocates some 256 KB of native buffers, for every finished run otherwise.
     */
    private static final ThreadLocal<Deflater> DEFLATERS = ThreadLocal.withInitial(
            () -> new Deflater(Deflater.BEST_COMPRESSION));
    private static final ThreadLocal<Inflater> INFLATERS = ThreadLocal.withInitial(Inflater::new);

    static PackedRun of(RunRecord r) {
        RunRecord unnamed = new RunRecord(null, r.workflow(), null, r.tenant(), r.lane(), r.status(), r.input(),
                r.output(), r.error(), r.errorNode(), r.createdAt(), r.updatedAt(), r.sequence(), r.parentRunId(),
                r.parentNodeKey(), r.costMicros(), r.tokens(), r.nodes(), r.owner(), r.takeovers(), r.errorCode(),
                r.correlationId(), r.traceId(), List.of());
        byte[] json = Json.write(unnamed).getBytes(StandardCharsets.UTF_8);
        Deflater deflater = DEFLATERS.get();
        try {
            deflater.setDictionary(DICTIONARY);
            deflater.setInput(json);
            deflater.finish();
            ByteArrayOutputStream out = new ByteArrayOutputStream(json.length / 3 + 16);
            byte[] buffer = new byte[Math.max(64, json.length / 2)];
            while (!deflater.finished()) {
                out.write(buffer, 0, deflater.deflate(buffer));
            }
            return new PackedRun(r.tenant(), r.workflow(), r.workflowHash(), r.status(), r.createdAt(),
                    r.updatedAt(), r.lane(), out.toByteArray());
        } finally {
            deflater.reset();
        }
    }

    /** The record, as {@link #of} was given it: the run's id is the key it is kept under. */
    RunRecord record(String runId) {
        Inflater inflater = INFLATERS.get();
        try {
            inflater.setInput(json);
            ByteArrayOutputStream out = new ByteArrayOutputStream(json.length * 6);
            byte[] buffer = new byte[json.length * 6 + 64];
            while (!inflater.finished()) {
                int n = inflater.inflate(buffer);
                if (n == 0 && inflater.needsDictionary()) {
                    inflater.setDictionary(DICTIONARY);
                } else if (n == 0 && inflater.needsInput()) {
                    throw new IllegalStateException("A packed run record ends early");
                }
                out.write(buffer, 0, n);
            }
            RunRecord r = Frozen.record(Json.read(out.toString(StandardCharsets.UTF_8), RunRecord.class));
            return new RunRecord(runId, r.workflow(), workflowHash, r.tenant(), r.lane(), r.status(), r.input(),
                    r.output(), r.error(), r.errorNode(), r.createdAt(), r.updatedAt(), r.sequence(), r.parentRunId(),
                    r.parentNodeKey(), r.costMicros(), r.tokens(), r.nodes(), r.owner(), r.takeovers(),
                    r.errorCode(), r.correlationId(), r.traceId(), List.of());
        } catch (DataFormatException e) {
            throw new IllegalStateException("A packed run record is damaged: " + e.getMessage(), e);
        } finally {
            inflater.reset();
        }
    }

    /** Packed runs travel (backups, migrations, reads from another member) as they are held. */
    static final class Serializer implements StreamSerializer<PackedRun> {

        /** Fixed: every member of a cluster must agree on it. */
        static final int TYPE_ID = 7302;

        @Override
        public void write(ObjectDataOutput out, PackedRun p) throws IOException {
            out.writeString(p.tenant);
            out.writeString(p.workflow);
            out.writeString(p.workflowHash);
            out.writeString(p.status.name());
            out.writeLong(p.createdAt);
            out.writeLong(p.updatedAt);
            out.writeString(p.lane);
            out.writeByteArray(p.json);
        }

        @Override
        public PackedRun read(ObjectDataInput in) throws IOException {
            try {
                // the names of tenants and workflows are few: one copy each, not one per run
                return new PackedRun(intern(in.readString()), intern(in.readString()), intern(in.readString()),
                        RunStatus.valueOf(in.readString()),
                        in.readLong(), in.readLong(), in.readString(), in.readByteArray());
            } catch (IllegalArgumentException e) {
                throw new UncheckedIOException(new IOException("Not a packed run: " + e.getMessage(), e));
            }
        }

        private static String intern(String s) {
            return s == null ? null : s.intern();
        }

        @Override
        public int getTypeId() {
            return TYPE_ID;
        }
    }
}
