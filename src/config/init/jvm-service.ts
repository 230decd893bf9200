import type { Folder, Recognised } from './detected-service.js';
import { readText, wrapperCommand } from './folder-files.js';

/** Spring Boot takes its port and address as arguments; loopback, since Gantry's router is what users reach. */
const SPRING_ARGS = '--server.port=$PORT --server.address=127.0.0.1';

function springNotes(actuator: boolean): string[] {
  return actuator
    ? ['Spring Boot Actuator is on the classpath: its /actuator/health answers once the app is up.']
    : ['Without Spring Boot Actuator this checks that / answers 200; add spring-boot-starter-actuator', 'and set health.path to /actuator/health for a real readiness check.'];
}

/**
 * A pom.xml folder: `verify` as its gate. A Spring Boot app (its Maven plugin repackages the jar into
 * one that runs; a library that only uses Spring Boot has none) also deploys, as that jar.
 */
async function mavenService(folder: Folder): Promise<Recognised> {
  const pom = await readText(folder.dir, 'pom.xml');
  if (pom.includes('<modules>')) return 'aggregate';
  const mvn = wrapperCommand(folder, 'mvnw', 'mvn');
  const base = { path: folder.path, kind: 'maven' as const, gates: [{ name: 'verify', run: `${mvn} -B verify` }] };
  if (!pom.includes('spring-boot-maven-plugin')) return { ...base, run: undefined };
  const actuator = pom.includes('spring-boot-starter-actuator');
  return {
    ...base,
    framework: 'Spring Boot',
    // The gates ran the tests already; the repackaged jar (not the .jar.original) is the one *.jar matches.
    build: { run: `${mvn} -B -DskipTests package`, output: 'target' },
    run: `java -jar *.jar ${SPRING_ARGS}`,
    health: actuator ? '/actuator/health' : '/',
    notes: springNotes(actuator),
  };
}

/** A settings file that includes other projects makes an aggregate; Spring Initializr writes one for a single app too. */
const INCLUDES = /^\s*include\s*[("']/m;

/** A build.gradle(.kts) folder: `check` as its gate; a Spring Boot app also deploys, as `bootJar` makes it. */
async function gradleService(folder: Folder): Promise<Recognised> {
  const settings = (await readText(folder.dir, 'settings.gradle')) + (await readText(folder.dir, 'settings.gradle.kts'));
  const buildFile = folder.files.has('build.gradle.kts') ? 'build.gradle.kts' : 'build.gradle';
  if (INCLUDES.test(settings) || !folder.files.has(buildFile)) return 'aggregate';
  const gradle = wrapperCommand(folder, 'gradlew', 'gradle');
  const base = { path: folder.path, kind: 'gradle' as const, gates: [{ name: 'check', run: `${gradle} check` }] };
  const script = await readText(folder.dir, buildFile);
  if (!script.includes('org.springframework.boot')) return { ...base, run: undefined };
  const actuator = script.includes('spring-boot-starter-actuator');
  return {
    ...base,
    framework: 'Spring Boot',
    build: { run: `${gradle} bootJar`, output: 'build/libs' },
    // build/libs also holds the `-plain` jar of the jar task, which has no dependencies in it.
    run: `java -jar "$(ls *.jar | grep -v -- '-plain.jar$' | head -n 1)" ${SPRING_ARGS}`,
    health: actuator ? '/actuator/health' : '/',
    notes: springNotes(actuator),
  };
}

export async function jvmService(folder: Folder): Promise<Recognised> {
  if (folder.files.has('pom.xml')) return mavenService(folder);
  const gradle = ['settings.gradle', 'settings.gradle.kts', 'build.gradle', 'build.gradle.kts'].some((f) => folder.files.has(f));
  return gradle ? gradleService(folder) : undefined;
}
