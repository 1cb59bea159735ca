package dev.caravan.state;

import com.hazelcast.config.AttributeConfig;
import com.hazelcast.config.MapConfig;
import com.hazelcast.query.extractor.ValueCollector;
import com.hazelcast.query.extractor.ValueExtractor;

/**
 * The attributes of run records that lists filter by. Hazelcast reads query attributes by reflection on getters and
 * public fields, which records have neither of: each attribute has its extractor, a class Hazelcast creates by name
 * (hence public). They are not indexed: on a map of {@code OBJECT} format, an index makes Hazelcast clone the value
 * (serialize it and read it back) on every entry processor, to tell old from new index values; for run records that
 * is a JSON round trip on every update, which doubled the CPU time per node (DiamondBench: 199 vs 101 µs per node).
 * A query is instead evaluated where the records are, on the held objects, and sends back only its page.
 */
public final class RunAttributes {

    static final String TENANT = "tenant";
    static final String WORKFLOW = "workflow";
    static final String STATUS = "status";
    static final String CREATED_AT = "createdAt";

    private RunAttributes() {
    }

    /** Declares the attributes on the run map. */
    static MapConfig declare(MapConfig runs) {
        return runs
                .addAttributeConfig(new AttributeConfig(TENANT, Tenant.class.getName()))
                .addAttributeConfig(new AttributeConfig(WORKFLOW, Workflow.class.getName()))
                .addAttributeConfig(new AttributeConfig(STATUS, Status.class.getName()))
                .addAttributeConfig(new AttributeConfig(CREATED_AT, CreatedAt.class.getName()));
    }

    /** The run's tenant. */
    public static final class Tenant implements ValueExtractor<RunRecord, Object> {
        @Override
        public void extract(RunRecord run, Object argument, ValueCollector collector) {
            collector.addObject(run.tenant());
        }
    }

    /** The run's workflow name. */
    public static final class Workflow implements ValueExtractor<RunRecord, Object> {
        @Override
        public void extract(RunRecord run, Object argument, ValueCollector collector) {
            collector.addObject(run.workflow());
        }
    }

    /** The run's status, by its enum name. */
    public static final class Status implements ValueExtractor<RunRecord, Object> {
        @Override
        public void extract(RunRecord run, Object argument, ValueCollector collector) {
            collector.addObject(run.status().name());
        }
    }

    /** When the run was created, epoch millis. */
    public static final class CreatedAt implements ValueExtractor<RunRecord, Object> {
        @Override
        public void extract(RunRecord run, Object argument, ValueCollector collector) {
            collector.addObject(run.createdAt());
        }
    }
}
