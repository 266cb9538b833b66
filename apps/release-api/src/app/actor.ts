/** Who made a change: the ops account of the access token, as the audit trail records it (`actorOf` builds it). */
export interface Actor {
  sub: string;
  email: string | undefined;
}
