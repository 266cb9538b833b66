import { toKnexBindings } from './job-db';

describe(toKnexBindings.name, () => {
  it('turns numbered placeholders into positional ones, values in order of appearance', () => {
    expect(toKnexBindings('insert into t (a, b) values ($2, $1) returning $2', ['one', 'two'])).toEqual({
      sql: 'insert into t (a, b) values (?, ?) returning ?',
      bindings: ['two', 'one', 'two'],
    });
  });

  it('reads $10 as the tenth value, not the first followed by a zero', () => {
    const values = Array.from({ length: 10 }, (_, n) => `v${n + 1}`);
    expect(toKnexBindings('select $10, $1', values)).toEqual({ sql: 'select ?, ?', bindings: ['v10', 'v1'] });
  });

  it('binds null for a placeholder without a value', () => {
    expect(toKnexBindings('select $1, $2', ['only'])).toEqual({ sql: 'select ?, ?', bindings: ['only', null] });
  });

  it('escapes a literal question mark so knex does not take it for a binding', () => {
    expect(toKnexBindings(`select data ? 'key' from t where id = $1`, [7])).toEqual({ sql: `select data \\? 'key' from t where id = ?`, bindings: [7] });
  });
});
