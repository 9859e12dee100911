/**
 * Race helper: players type `/ready`; once every player (at least `min_players`) is ready the
 * countdown starts (with the server's `[countdown]` settings). Finishes are announced in
 * order, `1. NeKz 12.345`, and recorded in the server's history when it keeps one.
 *
 * ```toml
 * [plugins]
 * load = ["plugins/race_helper.ts"]
 *
 * [plugins.race-helper]
 * min_players = 2
 * ```
 *
 * @module
 */
import { command, type ConfigSchema, type IClient, on, Plugin, ServerEvent } from "../plugin.ts";

/** The `[plugins.race-helper]` settings. */
const schema = {
  min_players: {
    type: "integer",
    min: 1,
    max: 64,
    default: 2,
    doc: "Players needed before a race can start",
  },
} as const satisfies ConfigSchema;

/** `/ready`, `/unready`, `/race`: a countdown when everyone is ready, finishes in order. */
export class RaceHelper extends Plugin<typeof schema> {
  name = "race-helper";
  version = "1.0.0";
  authors = ["ghosting"];
  license = "MIT";
  override description = "Starts the countdown when every player is ready; announces finishes";
  override configSchema = schema;

  /** Ids of the players who are ready. */
  readonly ready = new Set<number>();
  /** Finishes of the current race, in order: at most one per player. */
  readonly finishes: { id: number; name: string; time: string }[] = [];
  /** Whether a race is on (a countdown was started and has not been superseded). */
  racing = false;

  /** Connected players (spectators do not race). */
  #players(): IClient[] {
    return this.server.clients().filter((client) => !client.spectator);
  }

  @command("ready", "Say you are ready to race")
  async onReady(caller: { client?: IClient }): Promise<void> {
    const client = caller.client;
    if (!client) return await this.respond("Only players in chat can be ready");
    if (client.spectator) return await this.respond("Spectators do not race");
    this.ready.add(client.id);
    await this.#announceReadiness(`${client.name} is ready`);
  }

  @command("unready", "Take back your /ready")
  async onUnready(caller: { client?: IClient }): Promise<void> {
    const client = caller.client;
    if (!client || !this.ready.delete(client.id)) return await this.respond("You were not ready");
    await this.#announceReadiness(`${client.name} is not ready`);
  }

  @command("race", "Who is ready, and the finishes of the last race")
  async status(): Promise<void> {
    const players = this.#players();
    const waiting = players.filter((p) => !this.ready.has(p.id)).map((p) => p.name);
    await this.respond(
      `${this.ready.size}/${players.length} ready` +
        (waiting.length ? `; waiting for ${waiting.join(", ")}` : ""),
    );
    for (const [i, finish] of this.finishes.entries()) {
      await this.respond(`${i + 1}. ${finish.name} ${finish.time}`);
    }
  }

  async #announceReadiness(what: string): Promise<void> {
    const players = this.#players();
    const count = players.filter((p) => this.ready.has(p.id)).length;
    await this.broadcast(`${what} (${count}/${players.length})`);
    await this.#startIfAllReady();
  }

  async #startIfAllReady(): Promise<void> {
    const players = this.#players();
    const min = this.config.min_players;
    if (players.length < min || !players.every((p) => this.ready.has(p.id))) return;
    this.ready.clear();
    this.finishes.length = 0;
    this.racing = true;
    await this.broadcast("Everyone is ready: the race starts!");
    this.server.startCountdown();
  }

  @on(ServerEvent.ClientDisconnected)
  async onLeave(client: IClient): Promise<void> {
    // A player leaving may be the one everyone was waiting for.
    if (this.ready.delete(client.id) || this.ready.size > 0) await this.#startIfAllReady();
  }

  @on(ServerEvent.CountdownStart)
  onCountdown(): void {
    // A countdown started some other way (the console) starts a race too.
    this.finishes.length = 0;
    this.racing = true;
  }

  @on(ServerEvent.SpeedrunFinish)
  async onFinish(client: IClient, time: string): Promise<void> {
    if (!this.racing) return;
    // A race's result is each player's first finish; later ones (a second run, or a client
    // repeating itself) are neither announced nor stored.
    if (this.finishes.some((finish) => finish.id === client.id)) return;
    this.finishes.push({ id: client.id, name: client.name, time });
    const place = this.finishes.length;
    await this.broadcast(`${place}. ${client.name} ${time}`);
    await this.server.history?.recordFinish({
      map: client.map,
      name: client.name,
      time,
      place,
      at: new Date(),
    });
  }
}
