package dev.caravan;

import static com.tngtech.archunit.lang.syntax.ArchRuleDefinition.noClasses;
import static com.tngtech.archunit.library.Architectures.layeredArchitecture;
import static com.tngtech.archunit.library.dependencies.SlicesRuleDefinition.slices;

import com.tngtech.archunit.core.domain.JavaClasses;
import com.tngtech.archunit.core.importer.ClassFileImporter;
import com.tngtech.archunit.core.importer.ImportOption;
import com.tngtech.archunit.core.importer.Location;
import dev.caravan.component.node.EngineServices;
import dev.caravan.run.Engine;
import java.util.List;

import org.junit.jupiter.api.Test;

/**
 * Dependencies run one way, {@code compile -> component -> run -> state -> event/spi}, with the format
 * ({@code dsl}), expressions ({@code expr}) and JSON ({@code json}) below them all, and no package cycles. The
 * components take the narrow services they use, not the engine.
 */
class PackageDependenciesTest {

    /** The classes of this module only (caravan-llm, on the class path too, is a library of its own). */
    private static final JavaClasses ENGINE = new ClassFileImporter()
            .withImportOption(ImportOption.Predefined.DO_NOT_INCLUDE_TESTS)
            .importLocations(List.of(Location.of(CaravanException.class.getProtectionDomain().getCodeSource()
                    .getLocation())));

    @Test
    void noPackageCycles() {
        slices().matching("dev.caravan.(**)").should().beFreeOfCycles().check(ENGINE);
    }

    @Test
    void layersDependOnlyOnTheLayersBelow() {
        layeredArchitecture().consideringOnlyDependenciesInLayers()
                .layer("compile").definedBy("dev.caravan.compile..")
                .layer("component").definedBy("dev.caravan.component..")
                .layer("run").definedBy("dev.caravan.run..")
                .layer("state").definedBy("dev.caravan.state..")
                .layer("event").definedBy("dev.caravan.event..")
                .layer("spi").definedBy("dev.caravan.spi..")
                .layer("format").definedBy("dev.caravan.dsl..", "dev.caravan.expr..", "dev.caravan.json..")
                .whereLayer("compile").mayNotBeAccessedByAnyLayer()
                .whereLayer("component").mayOnlyBeAccessedByLayers("compile")
                .whereLayer("run").mayOnlyBeAccessedByLayers("compile", "component")
                .whereLayer("state").mayOnlyBeAccessedByLayers("compile", "component", "run")
                .whereLayer("event").mayOnlyBeAccessedByLayers("compile", "component", "run", "state")
                .whereLayer("spi").mayOnlyBeAccessedByLayers("compile", "component", "run", "state")
                .whereLayer("format").mayOnlyBeAccessedByLayers("compile", "component", "run", "state", "event")
                .check(ENGINE);
    }

    @Test
    void componentsTakeTheServicesTheyUseNotTheEngine() {
        noClasses().that().resideInAPackage("dev.caravan.component..")
                .and().doNotBelongToAnyOf(EngineServices.class)
                .should().dependOnClassesThat().belongToAnyOf(Engine.class)
                .because("a component is given the services it uses (found in the Camel registry, else the embedded"
                         + " engine's through EngineServices), so it depends on no more of the engine than that")
                .check(ENGINE);
    }
}
